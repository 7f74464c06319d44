#!/usr/bin/env bash
# bench/cuda/scripts/run17.sh PHASE: the 2026-12-04 evening session's GPU
# work (the encoder's products on tensor cores, matmul_mma.cu), built and
# carried as run15.sh's header says (.gpu with cuda.test, store.test,
# encode.test, embench, cudabench and fort.tgz; .m1 and .m2 the model).
#
# A (carry .gpu, .m1): unpack; the GPU tests of ./cuda (the shared suite's
#   products with 16-bit operands now on tensor cores).
# B (carry .m2, within 30 s of A): the model assembled and checked;
#   encode's TestAgainstSentenceTransformers on cuda (float32 and float16
#   weights); cudabench -encprof (float16 weights with the products on
#   tensor cores and on CUDA cores, in turn); embench's encoder scenarios
#   over 5,000 fortunes beside sentence-transformers on the same card;
#   then, in the time left, embench's 1M-row store beside plain PyTorch.
# Logs in $OUT.
. "$(dirname "$0")/lib.sh"
case "$1" in
A)
	unpack
	gpuinfo
	echo "== go test ./cuda ($((SECONDS - T0)) s)"
	gpu_tests cuda ${TESTS_S:-200} "${TESTS:-TestBackend|TestSearchLargeK|TestMemory|TestCloseThenUse}"
	;;
B)
	model
	echo "== encode's tests on cuda ($((SECONDS - T0)) s)"
	(cd encode && SILICA_ENCODE_BACKENDS=cuda SILICA_MODEL_DIR=/tmp/model lim 150 $G/encode.test -test.v \
		-test.run 'TestAgainstSentenceTransformers' >"$OUT/encode_tests.log" 2>&1; echo "rc $?" >>"$OUT/encode_tests.log")
	grep -E -- '^(--- |FAIL|ok|panic)|^rc |cuda|cosine' "$OUT/encode_tests.log" | head -20
	echo "== cudabench -encprof ($((SECONDS - T0)) s)"
	lim 120 $G/cudabench -encprof /tmp/model,5000 -reps 3 -encbudgets ${BUDGETS:-8192,16384} 2>&1 | tee "$OUT/encprof.log" | grep -v '^      .*elementwise'
	echo "== embench encoder ($((SECONDS - T0)) s)"
	encode5k 200
	tail -3 "$OUT/encode5k.err"
	left=$((570 - (SECONDS - T0)))
	echo "== embench store, 1M rows ($((SECONDS - T0)) s, $left s left)"
	[ $left -gt 120 ] && store1m $left
	;;
*)
	echo "usage: run17.sh A|B" >&2
	exit 2
	;;
esac
echo "done in $((SECONDS - T0)) s"
