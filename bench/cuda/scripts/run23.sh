#!/usr/bin/env bash
# bench/cuda/scripts/run23.sh PHASE: the 2026-12-06 (third) session's GPU
# work, candSelect (many queries at a k past the fused scan's: the rows
# read once a chunk of queries, candidate buffers behind a threshold).
# Build here first (CGO_ENABLED=0, xz-packed into .gpu: cuda.test,
# cuda.test.broken (candSelect's parts all filtered as rows 0 to p),
# store.test, cudabench, embench, exactcheck), carry .gpu.
#
# A: the cuda tests of the search (TestCandSelect, TestSearchLargeK, the
#   backend suite, warm compiles, the regimes) on the new build and
#   TestCandSelect on the broken one, which must fail; the store's tests
#   on cuda (the adapters' libtorch hidden); cudabench -anyk over 1M x
#   768 at 64 and 1024 queries, k = 1000 and 4096, float32 and float16,
#   the default beside [nocand] (scoreSelect's score pass).
# B: embench's 1M-row store beside plain PyTorch at k = 1000 and 4096
#   (64 and 1024 queries), then cmd/exactcheck with 64 queries a batch,
#   until END seconds.
# C: parts growing from 4k rows: TestCandSelect and TestSearchLargeK,
#   then cudabench -anyk -profile (the kernels of one search) of the rows
#   ONLY names (default: float16 64 and 1024 queries, float32 1024
#   queries, k = 4096), beside [nocand].
. "$(dirname "$0")/lib.sh"
case "$1" in
A)
	unpack
	gpuinfo
	echo "== cuda tests ($((SECONDS - T0)) s)"
	gpu_tests cuda 200 'TestCandSelect|TestSearchLargeK|TestBackend|TestWarmCompiles|TestSearchRegimes'
	(cd cuda && lim 60 $G/cuda.test.broken -test.run 'TestCandSelect' >"$OUT/broken.log" 2>&1; echo "broken rc $?" >>"$OUT/broken.log")
	grep -E 'rank|rc ' "$OUT/broken.log" | head -3
	echo "== store on cuda, no libtorch ($((SECONDS - T0)) s)"
	gpu_tests store 100 "Search|Device|Filter|Exact|Batch" SILICA_STORE_BACKENDS=cuda SILICA_LIBTORCH=/nonexistent
	echo "== cudabench -anyk ($((SECONDS - T0)) s)"
	lim $((${END:-560} - (SECONDS - T0))) $G/cudabench -anyk -reps 10 \
		-only "64 queries, k=1000|64 queries, k=4096|1024 queries, k=1000|1024 queries, k=4096" >"$OUT/anyk.log" 2>&1
	echo "anyk rc $? ($((SECONDS - T0)) s)"
	grep -E 'any-k' "$OUT/anyk.log" | head -40
	;;
B)
	unpack
	gpuinfo
	store_at_k ${END:-560} 1000 4096
	exact64 ${END:-580} 23
	;;
C)
	unpack
	gpuinfo
	echo "== cuda tests ($((SECONDS - T0)) s)"
	gpu_tests cuda 120 'TestCandSelect|TestSearchLargeK'
	echo "== cudabench -anyk -profile ($((SECONDS - T0)) s)"
	lim $((${END:-560} - (SECONDS - T0))) $G/cudabench -anyk -reps 5 -profile \
		-only "${ONLY:-fp16, 64 queries, k=4096|fp16, 1024 queries, k=4096|fp32, 1024 queries, k=4096}" >"$OUT/anykprof.log" 2>&1
	echo "anyk rc $? ($((SECONDS - T0)) s)"
	grep -E 'any-k' "$OUT/anykprof.log" | head -20
	;;
D)
	unpack
	gpuinfo
	echo "== store on cuda ($((SECONDS - T0)) s)"
	(cd store && SILICA_STORE_BACKENDS=cuda lim 150 $G/store.test -test.v -test.run 'Search|Device|Filter|Exact|Batch|Tie' \
		-test.skip 'TestSearchExact/(torch|mlx)' >"$OUT/store_tests.log" 2>&1; echo "rc $?" >>"$OUT/store_tests.log")
	grep -E -- '^(--- FAIL|FAIL|ok|panic)|^rc |^    --- FAIL' "$OUT/store_tests.log" | head -20
	echo "store tests: $(grep -c -- '--- PASS' "$OUT/store_tests.log") pass, $(grep -c -- '--- FAIL' "$OUT/store_tests.log") fail"
	for dt in fp32 fp16; do
		lim 150 $G/cudabench -storeprof $dt,1000000 -reps 5 -storesearch "64:4096;1024:4096" >"$OUT/sp_$dt.log" 2>&1
		grep -E '^store' "$OUT/sp_$dt.log"
	done
	END=$((${END:-560} - (SECONDS - T0))) bash "$0" B
	;;
E)
	unpack
	gpuinfo
	echo "== cudabench -anyk, candSelect's buffers cut back at 2, 3 (default), 5 and 8 k ($((SECONDS - T0)) s)"
	lim 150 $G/cudabench -anyk -reps 10 \
		-only "fp16, 64 queries, k=4096|fp16, 1024 queries, k=4096|fp32, 64 queries, k=4096" >"$OUT/anyk_keep.log" 2>&1
	echo "anyk rc $? ($((SECONDS - T0)) s)"
	grep -E '^any-k' "$OUT/anyk_keep.log" | grep -v -E 'tiled|wide'
	echo "== store first use ($((SECONDS - T0)) s)"
	{
		lim 60 $G/cudabench -storefirst /tmp/sf16,fp16,1,100
		for spec in fp16,64,4096 fp16,1024,4096; do
			c=/tmp/cold-$spec
			SILICA_CACHE_DIR=$c lim 40 $G/cudabench -storefirst /tmp/sf16,$spec | sed 's/^/cold cache: /'
			SILICA_CACHE_DIR=$c lim 40 $G/cudabench -storefirst /tmp/sf16,$spec | sed 's/^/cached:     /'
		done
	} 2>&1 | tee "$OUT/firstuse.log"
	;;
F)
	unpack
	echo "== cuda and store tests ($((SECONDS - T0)) s)"
	gpu_tests cuda 40 'TestCandSelect$|TestWarmCompiles'
	(cd store && SILICA_STORE_BACKENDS=cuda lim 30 $G/store.test -test.v -test.run 'Warm|TestSearchExact' \
		-test.skip 'TestSearchExact/(torch|mlx|cpu)' >"$OUT/store_tests.log" 2>&1; echo "rc $?" >>"$OUT/store_tests.log")
	grep -E -- '^(--- FAIL|FAIL|ok|panic)|^rc ' "$OUT/store_tests.log" | head
	echo "store tests: $(grep -c -- '--- PASS' "$OUT/store_tests.log") pass, $(grep -c -- '--- FAIL' "$OUT/store_tests.log") fail"
	echo "== store first use, 4096 warmed ($((SECONDS - T0)) s)"
	{
		lim 30 $G/cudabench -storefirst /tmp/sf16,fp16,1,100
		c=/tmp/cold-f
		SILICA_CACHE_DIR=$c lim 20 $G/cudabench -storefirst /tmp/sf16,fp16,64,4096 -wait 8s | sed 's/^/cold, 8 s after Open: /'
		SILICA_CACHE_DIR=$c lim 20 $G/cudabench -storefirst /tmp/sf16,fp16,64,4096 | sed 's/^/cached:               /'
	} 2>&1 | tee "$OUT/firstuse.log"
	echo "== anyk, 64 float16 queries ($((SECONDS - T0)) s)"
	lim 30 $G/cudabench -anyk -reps 10 -only "fp16, 64 queries, k=4096" 2>&1 | grep -E '^any-k' | grep -v -E 'tiled|wide'
	;;
*)
	echo "usage: run23.sh A|B|C|D|E|F" >&2
	exit 2
	;;
esac
