#!/usr/bin/env bash
# bench/cuda/scripts/run24.sh PHASE: the 2026-12-06 (fourth) session's GPU
# work, the seeded search (cuda/seed.go: many queries at a large k on the
# tensor cores, each query's threshold drawn from a sample of the rows).
# Build here first (CGO_ENABLED=0, xz-packed into .gpu: cuda.test,
# store.test, cudabench, embench, exactcheck), carry .gpu.
#
# A: the cuda tests of the search (TestSeeded, TestCandSelect,
#   TestSearchLargeK, the backend suite, warm compiles, the regimes, the
#   TF32 bound, near ties); the store's tests on cuda (the adapters'
#   libtorch hidden); cudabench -anyk over 1M x 768 at 64 and 1024
#   queries, k = 100, 1000 and 4096, float32 and float16, the default
#   (seeded) beside [noseed].
# B: embench's 1M-row store beside plain PyTorch at k = 1000 and 4096
#   (64 and 1024 queries), then cmd/exactcheck with 64 queries a batch,
#   until END seconds.
# C: TestSeeded and the search's other tests, the store's tests on cuda,
#   then B.
# D: embench's 1M-row store beside plain PyTorch for one query at
#   k = 1000 and 4096; first use of 64 and 1024 float16 queries at
#   k = 4096 with Open's warm-up 8 s ahead (cold kernel cache) and with
#   the kernels cached; cudabench -storeprof of 64 float16 queries at
#   k = 4096 and 1000 with a Go CPU profile of the host.
# E: after the seeded scan's buffers shrank (a block flushes past 64
#   keys; a sample's buffers are cut back every tile): TestSeeded and
#   cudabench -anyk of four seeded searches beside [noseed], whose code
#   did not change (the same numbers as A's say the cards compare).
. "$(dirname "$0")/lib.sh"
case "$1" in
A)
	unpack
	gpuinfo
	echo "== cuda tests ($((SECONDS - T0)) s)"
	gpu_tests cuda 200 'TestSeeded|TestCandSelect|TestSearchLargeK|TestBackend|TestWarmCompiles|TestSearchRegimes|TestTF32Bound|TestNearTies|TestSearchV5'
	echo "== store on cuda, no libtorch ($((SECONDS - T0)) s)"
	store_cuda 100
	echo "== cudabench -anyk ($((SECONDS - T0)) s)"
	lim $((${END:-570} - (SECONDS - T0))) $G/cudabench -anyk -reps 10 \
		-only "${ONLY:-64 queries, k=100|64 queries, k=1000|64 queries, k=4096|1024 queries, k=1000|1024 queries, k=4096}" >"$OUT/anyk.log" 2>&1
	echo "anyk rc $? ($((SECONDS - T0)) s)"
	grep -E '^any-k' "$OUT/anyk.log" | grep -v -E 'tiled|wide|select|fused|keep' | head -60
	;;
B)
	unpack
	gpuinfo
	store_at_k ${END:-560} ${KS:-1000 4096}
	exact64 ${END:-580} 24
	;;
C)
	unpack
	echo "== cuda tests ($((SECONDS - T0)) s)"
	gpu_tests cuda 200 'TestSeeded|TestSearchLargeK|TestBackend|TestWarmCompiles|TestTF32Bound|TestNearTies'
	grep -E 'searched again' "$OUT/cuda_tests.log"
	echo "== store on cuda ($((SECONDS - T0)) s)"
	store_cuda 150
	END=$((${END:-560} - (SECONDS - T0))) bash "$0" B
	;;
D)
	unpack
	gpuinfo
	for k in 1000 4096; do
		echo "== embench store, 1M rows, one query, k=$k ($((SECONDS - T0)) s)"
		lim 120 $G/embench --docs 1000000 --backend cuda --peers torch --time 0.3s --k $k --batches 1 --large-k none \
			--scenario store_search_1 >"$OUT/store1_k$k.md" 2>"$OUT/store1_k$k.err"
		echo "store k=$k rc $? ($((SECONDS - T0)) s)"
		grep -E '^\| store_search|^\|  \|' "$OUT/store1_k$k.md" | head -8
		rm -f "$OUT/store1_k$k.err"
	done
	echo "== store first use, k = 4096 warmed by Open ($((SECONDS - T0)) s)"
	{
		lim 40 $G/cudabench -storefirst /tmp/sf16,fp16,1,100
		for spec in fp16,64,4096 fp16,1024,4096; do
			c=/tmp/cold-$spec
			SILICA_CACHE_DIR=$c lim 30 $G/cudabench -storefirst /tmp/sf16,$spec -wait 8s | sed 's/^/cold, 8 s after Open: /'
			SILICA_CACHE_DIR=$c lim 30 $G/cudabench -storefirst /tmp/sf16,$spec | sed 's/^/cached:               /'
		done
	} 2>&1 | tee "$OUT/firstuse.log"
	echo "== host profile, 64 float16 queries at k = 4096 ($((SECONDS - T0)) s)"
	lim 100 $G/cudabench -storeprof fp16,1000000 -reps 200 -storesearch "64:4096;64:1000" -cpuprofile "$OUT/host_fp16.prof" 2>&1 |
		tee "$OUT/storeprof_fp16.log" | grep -v '^      '
	;;
E)
	unpack
	echo "== cuda tests ($((SECONDS - T0)) s)"
	gpu_tests cuda 60 'TestSeeded'
	grep -E 'searched again' "$OUT/cuda_tests.log"
	echo "== cudabench -anyk ($((SECONDS - T0)) s)"
	lim 150 $G/cudabench -anyk -reps 10 \
		-only "fp16, 64 queries, k=1000|fp16, 1024 queries, k=4096|fp32, 64 queries, k=1000|fp32, 1024 queries, k=4096" >"$OUT/anyk.log" 2>&1
	echo "anyk rc $? ($((SECONDS - T0)) s)"
	grep -E '^any-k' "$OUT/anyk.log" | grep -v -E 'tiled|wide|select|fused|keep|nocand'
	;;
*)
	echo "usage: run24.sh A|B|C|D|E" >&2
	exit 2
	;;
esac
