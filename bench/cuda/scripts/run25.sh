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
# B: cudabench -storeprof of 64 float16 queries at k = 4096 and 1000 and
#   one at k = 1000, with a trace of one search's driver calls.
# C: cudabench -anyk of float32 at k = 100 (64 and 1024 queries) and
#   float16 at 1024, seeded beside [noseed]; -storeprof of 1024 float32
#   queries at k = 100.
# D: after the dense-sample rule (cuda/seed.go, seedDenseStep): the
#   seed's tests, -anyk of float32 at k = 100, and embench's store at
#   k = 100 for 1, 64 and 1024 queries.
. "$(dirname "$0")/lib.sh"
case "$1" in
A)
	unpack
	gpuinfo
	echo "== cuda tests ($((SECONDS - T0)) s)"
	gpu_tests cuda 120 'TestSeeded|TestSearchLargeK|TestTF32Bound|TestNearTies|TestSearchRegimes|TestCandSelect$'
	grep -E 'searched again' "$OUT/cuda_tests.log"
	echo "== store on cuda ($((SECONDS - T0)) s)"
	store_cuda 120
	BATCHES='1 64 1024' store_at_k $((${END:-560} - 60)) ${KS:-4096 1000 100 10}
	exact64 ${END:-560} 25
	;;
B)
	unpack
	lim 200 $G/cudabench -storeprof fp16,1000000 -reps 50 -storesearch "64:4096;64:1000;1:1000" 2>&1 |
		tee "$OUT/storeprof_fp16.log" | grep -v '^      '
	;;
C)
	unpack
	gpuinfo
	lim 150 $G/cudabench -anyk -reps 10 -only "fp32, 1024 queries, k=100|fp16, 1024 queries, k=100|fp32, 64 queries, k=100" >"$OUT/anyk.log" 2>&1
	echo "anyk rc $?"
	grep -E '^any-k' "$OUT/anyk.log" | grep -v -E 'tiled|wide|keep'
	lim 120 $G/cudabench -storeprof fp32,1000000 -reps 10 -storesearch "1024:100" 2>&1 | tee "$OUT/storeprof_fp32.log" | grep -v -E '^      +[0-9]'
	;;
D)
	unpack
	gpuinfo
	gpu_tests cuda 90 'TestSeeded|TestSearchRegimes|TestPlanSeed|TestTF32Bound'
	lim 60 $G/cudabench -anyk -reps 10 -only "fp32, 1024 queries, k=100|fp32, 64 queries, k=100" >"$OUT/anyk.log" 2>&1
	echo "anyk rc $?"
	grep -E '^any-k' "$OUT/anyk.log" | grep -E 'k=100( |$)|k=100 \[noseed'
	BATCHES='1 64 1024' store_at_k 280 100
	;;
*)
	echo "usage: run25.sh A|B|C|D" >&2
	exit 2
	;;
esac
