#!/usr/bin/env bash
# bench/cuda/scripts/run25.sh PHASE: the 2026-12-06 (fifth) session's GPU
# work. Build here first (CGO_ENABLED=0, xz-packed into .gpu: cuda.test,
# store.test, cudabench, embench, exactcheck), carry .gpu.
#
# A: the search's cuda tests after 246a06e (the seeded search and mmaScan
#   share mmaPrep and tf32Finish; refine and reseed read flags through
#   readFlags), the store's tests on cuda (libtorch's adapters hidden),
#   then embench's 1M-row store beside plain PyTorch for 1, 64 and 1024
#   queries at each k of KS (default 4096 1000 100 10), one embench call
#   a k, until END seconds; cmd/exactcheck with what is left.
. "$(dirname "$0")/lib.sh"
store_cuda() {
	(cd store && SILICA_STORE_BACKENDS=cuda lim "$1" $G/store.test -test.v -test.run 'Search|Device|Filter|Exact|Batch|Tie|Warm' \
		-test.skip 'TestSearchExact/(torch|mlx)' >"$OUT/store_tests.log" 2>&1; echo "rc $?" >>"$OUT/store_tests.log")
	grep -E -- '^(--- FAIL|FAIL|ok|panic)|^rc |^    --- FAIL' "$OUT/store_tests.log" | head -20
	echo "store tests: $(grep -c -- '--- PASS' "$OUT/store_tests.log") pass, $(grep -c -- '--- FAIL' "$OUT/store_tests.log") fail"
}
# store_all END K...: embench's 1M-row store on cuda beside plain PyTorch,
# 1, 64 and 1024 queries at each k, into $OUT/store_kK.{md,json,err}.
store_all() {
	local end=$1 k left
	shift
	for k in "$@"; do
		left=$((end - (SECONDS - T0)))
		echo "== embench store, 1M rows, k=$k ($((SECONDS - T0)) s, $left s left)"
		[ $left -gt 60 ] || break
		lim $left $G/embench --docs 1000000 --backend cuda --peers torch --time 0.3s --k $k --batches 1,64,1024 --large-k none \
			--scenario store_search_1,store_search_64,store_search_1024 --json "$OUT/store_k$k.json" >"$OUT/store_k$k.md" 2>"$OUT/store_k$k.err"
		echo "store k=$k rc $? ($((SECONDS - T0)) s)"
		grep -E '^\| store_search|^\|  \|' "$OUT/store_k$k.md" | head -24
		tail -2 "$OUT/store_k$k.err"
		rm -f "$OUT/store_k$k.err"
	done
}
case "$1" in
A)
	unpack
	gpuinfo
	echo "== cuda tests ($((SECONDS - T0)) s)"
	gpu_tests cuda 120 'TestSeeded|TestSearchLargeK|TestTF32Bound|TestNearTies|TestSearchRegimes|TestCandSelect$'
	grep -E 'searched again' "$OUT/cuda_tests.log"
	echo "== store on cuda ($((SECONDS - T0)) s)"
	store_cuda 120
	store_all $((${END:-560} - 60)) ${KS:-4096 1000 100 10}
	exact64 ${END:-560} 25
	;;
*)
	echo "usage: run25.sh A" >&2
	exit 2
	;;
esac
