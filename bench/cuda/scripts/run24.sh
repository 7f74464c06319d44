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
. "$(dirname "$0")/lib.sh"
# store_cuda LIMIT: the store's tests on cuda (libtorch's adapter crashes
# in its open on these machines: TestSearchExact's torch and mlx skipped).
store_cuda() {
	(cd store && SILICA_STORE_BACKENDS=cuda lim "$1" $G/store.test -test.v -test.run 'Search|Device|Filter|Exact|Batch|Tie|Warm' \
		-test.skip 'TestSearchExact/(torch|mlx)' >"$OUT/store_tests.log" 2>&1; echo "rc $?" >>"$OUT/store_tests.log")
	grep -E -- '^(--- FAIL|FAIL|ok|panic)|^rc |^    --- FAIL' "$OUT/store_tests.log" | head -20
	echo "store tests: $(grep -c -- '--- PASS' "$OUT/store_tests.log") pass, $(grep -c -- '--- FAIL' "$OUT/store_tests.log") fail"
}
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
*)
	echo "usage: run24.sh A|B|C" >&2
	exit 2
	;;
esac
