#!/usr/bin/env bash
# bench/cuda/scripts/run16.sh PHASE: the 2026-12-04 session's GPU work,
# built and carried as run15.sh's header says (.gpu with encode.test,
# .m1 and .m2 for the model).
#
# A (carry .gpu, .m1): unpack; the GPU tests of ./cuda and the store's
#   filter cases on cuda.
# G (carry .m2, within 30 s of A): the model assembled and checked;
#   encode's TestAgainstSentenceTransformers with the cuda engine
#   (SILICA_ENCODE_BACKENDS=cuda): cosine 0.99999 with
#   sentence-transformers and the same top-10 as on the CPU.
# Logs in $OUT.
. "$(dirname "$0")/lib.sh"
case "$1" in
A)
	unpack
	nvidia-smi --query-gpu=name,driver_version,clocks.sm,clocks.mem,temperature.gpu --format=csv >"$OUT/gpu.txt" 2>&1
	head -2 "$OUT/gpu.txt"
	echo "== go test ./cuda ($((SECONDS - T0)) s)"
	(cd cuda && lim ${TESTS_S:-240} $G/cuda.test -test.v -test.run "${TESTS:-TestBackend|TestSearchRegimes|TestSearchLargeK|TestSearchRefine|TestWarmCompiles|TestDiskCache|TestMemory|TestConfig|TestTF32Bound|TestNearTies|TestCloseThenUse|TestCloseConcurrent}" >"$OUT/cuda_tests.log" 2>&1; echo "rc $?" >>"$OUT/cuda_tests.log")
	grep -E -- '^(--- FAIL|FAIL|ok|panic)|^rc |^    --- FAIL' "$OUT/cuda_tests.log" | head -20
	echo "tests: $(grep -c -- '--- PASS' "$OUT/cuda_tests.log") pass, $(grep -c -- '--- FAIL' "$OUT/cuda_tests.log") fail, $(grep -c -- '--- SKIP' "$OUT/cuda_tests.log") skip"
	echo "== store on cuda ($((SECONDS - T0)) s)"
	(cd store && SILICA_STORE_BACKENDS=cuda lim 150 $G/store.test -test.v -test.run 'TestFilteredSearchShares|TestOpensOnEveryBackend/cuda' >"$OUT/store_tests.log" 2>&1; echo "rc $?" >>"$OUT/store_tests.log")
	grep -E -- '^(--- FAIL|FAIL|ok|panic)|^rc |^    --- FAIL' "$OUT/store_tests.log" | head -20
	echo "store tests: $(grep -c -- '--- PASS' "$OUT/store_tests.log") pass, $(grep -c -- '--- FAIL' "$OUT/store_tests.log") fail"
	;;
G)
	model
	echo "== encode's tests on cuda ($((SECONDS - T0)) s)"
	(cd encode && SILICA_ENCODE_BACKENDS=cuda SILICA_MODEL_DIR=/tmp/model lim 400 $G/encode.test -test.v \
		-test.run 'TestAgainstSentenceTransformers' >"$OUT/encode_tests.log" 2>&1; echo "rc $?" >>"$OUT/encode_tests.log")
	grep -E -- '^(--- |FAIL|ok|panic)|^rc |cuda|cosine' "$OUT/encode_tests.log" | head -30
	;;
*)
	echo "usage: run16.sh A|G" >&2
	exit 2
	;;
esac
echo "done in $((SECONDS - T0)) s"
