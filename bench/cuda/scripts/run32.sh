#!/usr/bin/env bash
# bench/cuda/scripts/run32.sh PHASE: the 2026-12-07 (thirteenth)
# session's GPU work (bench/cuda/NOTES.md, run 32). Build here first
# (CGO_ENABLED=0, -ldflags=-s -w, xz-packed into .gpu; carry .gpu):
# cudabench_base and embench_base at 30cea85; cuda.test, store.test,
# cudabench, embench and exactcheck with scripts/run32_hits.patch
# applied (for C, with store/search.go's sinkable returning false).
#
# A: bench/cuda/probe/hostreg.cu (what bringing a search's hits to the
#    host costs: built from scores and ids, copied as laid out on the
#    device, or copied into registered memory), built with nvcc there;
#    the store's device tests with store_hits (TestHitsKernel); the cuda
#    package's seeded and TF32 tests with their proofs read after the
#    run; exactcheck (64 queries a batch, k up to 4096); -storeprof of
#    the searches at k = 4096, base and patched interleaved; embench at
#    k = 4096 beside plain PyTorch, base then patched.
# B: embench at k = 4096, base and patched interleaved twice (not run).
# C: A's -storeprof and embench (1 and 64 queries) without the pinned
#    slabs: the hits laid out and copied, the proofs read after the run.
. "$(dirname "$0")/lib.sh"
case "$1" in
A)
	unpack
	gpuinfo
	echo "== hostreg probe ($((SECONDS - T0)) s)"
	(lim 30 nvcc -O2 -std=c++17 -o /tmp/hostreg bench/cuda/probe/hostreg.cu && lim 60 /tmp/hostreg) 2>&1 | tee "$OUT/hostreg.log"
	echo "== store on cuda ($((SECONDS - T0)) s)"
	(cd store && SILICA_STORE_BACKENDS=cuda lim 120 $G/store.test -test.v -test.run 'TestHitsKernel|TestBatchHitsApart|TestLargeSearchMapsOnDevice|TestSearch|TestDevice|TestFiltered' \
		-test.skip 'TestSearchExact/(torch|mlx)' >"$OUT/store_tests.log" 2>&1; echo "rc $?" >>"$OUT/store_tests.log")
	grep -E -- '^(--- FAIL|FAIL|ok|panic)|^rc |^    --- FAIL' "$OUT/store_tests.log" | head
	echo "store tests: $(grep -c -- '--- PASS' "$OUT/store_tests.log") pass, $(grep -c -- '--- FAIL' "$OUT/store_tests.log") fail, $(grep -c -- '--- SKIP' "$OUT/store_tests.log") skip"
	gpu_tests cuda 120 'TestSeeded|TestSearchNearTies|TestTF32Bound|TestSearchLargeK|TestSearchRegimes|TestBackend'
	exact64 $((SECONDS - T0 + 120)) 32
	storeprof_rounds 40 20 '1:4096;64:4096;1024:4096' '^store search' 420 cudabench_base cudabench cudabench_base cudabench
	for b in embench_base embench; do
		[ $((SECONDS - T0)) -lt 500 ] || break
		echo "== $b ($((SECONDS - T0)) s)"
		lim $((590 - (SECONDS - T0))) $G/$b --docs 1000000 --backend cuda --peers torch --time 0.3s --k 4096 --batches 1,64,1024 --large-k none \
			--scenario store_search_1,store_search_64,store_search_1024 >$OUT/x.md 2>/dev/null
		grep -E '^\| store_search|^\|  \|' $OUT/x.md | head -8 | tee -a $OUT/ab_k4096.md
	done
	rm -f $OUT/x.md
	;;
B)
	unpack
	for b in embench_base embench embench_base embench; do
		[ $((SECONDS - T0)) -lt 500 ] || break
		echo "== $b ($((SECONDS - T0)) s)"
		lim 90 $G/$b --docs 1000000 --backend cuda --peers torch --time 0.3s --k 4096 --batches 1,64,1024 --large-k none \
			--scenario store_search_1,store_search_64,store_search_1024 >$OUT/x.md 2>/dev/null
		grep -E '^\| store_search|^\|  \|' $OUT/x.md | head -8 | tee -a $OUT/ab_k4096.md
	done
	rm -f $OUT/x.md
	;;
C)
	# A's hits copied into pinned slabs (sinks) lost; the same without
	# them (sinkable false): packed hits and the deferred flags alone.
	unpack
	storeprof_rounds 40 20 '1:4096;64:4096;1024:4096' '^store search' 150 cudabench_base cudabench cudabench_base cudabench
	for b in embench_base embench; do
		[ $((SECONDS - T0)) -lt 200 ] || break
		echo "== $b ($((SECONDS - T0)) s)"
		lim 70 $G/$b --docs 1000000 --backend cuda --peers torch --time 0.3s --k 4096 --batches 1,64 --large-k none \
			--scenario store_search_1,store_search_64 >$OUT/x.md 2>/dev/null
		grep -E '^\| store_search|^\|  \|' $OUT/x.md | head -8 | tee -a $OUT/ab_k4096.md
	done
	rm -f $OUT/x.md
	;;
esac
