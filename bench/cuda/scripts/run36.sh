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
#    then `kernelpack verify`: the listed work on the GPU compiles
#    nothing (the lister chose as the device does).
. "$(dirname "$0")/lib.sh"
case "$1" in
B)
	unpack
	gpuinfo
	for spec in fp32,1,100 fp16,64,4096 fp16,1,10 fp32,64,10; do
		d=/tmp/sf32
		case $spec in fp16*) d=/tmp/sf16 ;; esac
		[ -e $d ] || lim 60 $G/cudabench -storefirst $d,${spec%%,*},1,100 >/dev/null 2>&1
		c=/tmp/cold-$spec
		SILICA_CACHE_DIR=$c lim 40 $G/cudabench -storefirst $d,$spec | sed 's/^/shipped, empty cache:  /'
		SILICA_CACHE_DIR=$c-off SILICA_CUDA_SHIPPED=off lim 40 $G/cudabench -storefirst $d,$spec | sed 's/^/not shipped, empty:    /'
	done 2>&1 | tee "$OUT/firstuse.log"
	gpu_checks 150 'TestShippedLoads|TestWarmCompiles|TestShippedPack|TestLister' 150 '.'
	echo "== kernelpack verify, 1M rows of 768 ($((SECONDS - T0)) s)"
	SILICA_CACHE_DIR=/tmp/kp-cache lim 120 $G/kernelpack verify -dims 768 -rows 1000000 >"$OUT/verify1m.log" 2>&1
	echo "rc $?"; grep -E "compiled \(|compiling|no kernel|kernels were" "$OUT/verify1m.log" | grep -v " 0 kernels compiled" | head -30
	echo "== kernelpack verify ($((SECONDS - T0)) s)"
	SILICA_CACHE_DIR=/tmp/kp-cache lim $((570 - (SECONDS - T0))) $G/kernelpack verify >"$OUT/verify.log" 2>&1
	echo "rc $?"; grep -E "compiled \(|compiling|no kernel|kernels were" "$OUT/verify.log" | grep -v " 0 kernels compiled" | head -30
	;;
esac
