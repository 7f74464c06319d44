#!/usr/bin/env bash
# bench/cuda/scripts/run36.sh PHASE: the 2026-12-08 (seventeenth)
# session's GPU work (bench/cuda/NOTES.md, run 36): the kernels the build
# ships (kernels/cuda/shipped, made here without a GPU by
# `go run ./cmd/kernelpack list` and `build`). Build here first
# (CGO_ENABLED=0, -ldflags=-s -w, xz-packed into .gpu; carry .gpu):
# kernelpack, cudabench, cuda.test, store.test.
#
# B: first use: a fresh process's first search right after Open on an
#    empty kernel cache, with the shipped kernels and without them
#    (SILICA_CUDA_SHIPPED=off); the GPU tests of the pack
#    (TestShippedLoads, TestWarmCompiles) and the store's cuda tests;
#    `kernelpack verify`: the listed work on the GPU compiles nothing
#    (the lister chose as the device does), over 1M rows of 768 first,
#    then over every shape of the manifest; in the time left before END
#    seconds (default 540).
. "$(dirname "$0")/lib.sh"
# left: the seconds left before END (default 540) into the script.
left() { echo $((${END:-540} - (SECONDS - T0))); }
firstuse_pair() {
	local spec=$1 d=/tmp/sf32 c=/tmp/cold-$1
	case $spec in fp16*) d=/tmp/sf16 ;; esac
	[ -e $d ] || lim 60 $G/cudabench -storefirst $d,${spec%%,*},1,100 >/dev/null 2>&1
	SILICA_CACHE_DIR=$c lim 40 $G/cudabench -storefirst $d,$spec | sed 's/^/shipped, empty cache:  /'
	SILICA_CACHE_DIR=$c-off SILICA_CUDA_SHIPPED=off lim 40 $G/cudabench -storefirst $d,$spec | sed 's/^/not shipped, empty:    /'
}
verify() {
	local log=$1
	shift
	echo "== kernelpack verify $* ($((SECONDS - T0)) s)"
	SILICA_CACHE_DIR=/tmp/kp-cache lim "$(left)" $G/kernelpack verify "$@" >"$OUT/$log" 2>&1
	echo "rc $?"; grep -E "compiled \(|compiling|no kernel|kernels were" "$OUT/$log" | grep -v " 0 kernels compiled" | head -30
}
case "$1" in
B)
	unpack
	gpuinfo
	for spec in fp32,1,100 fp16,64,4096; do firstuse_pair $spec; done 2>&1 | tee "$OUT/firstuse.log"
	gpu_tests cuda 60 'TestShippedLoads|TestShippedPack|TestLister'
	verify verify1m.log -dims 768 -rows 1000000
	for spec in fp16,1,10 fp32,64,10; do [ "$(left)" -gt 150 ] && firstuse_pair $spec; done 2>&1 | tee -a "$OUT/firstuse.log"
	[ "$(left)" -gt 150 ] && gpu_tests cuda 60 'TestWarmCompiles'
	[ "$(left)" -gt 200 ] && gpu_tests store 120 '.' SILICA_STORE_BACKENDS=cuda
	[ "$(left)" -gt 60 ] && verify verify.log
	;;
esac
