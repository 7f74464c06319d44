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
# C (carry .gpu, after the large-k scores of 16-bit rows moved to
#   matmul_mma): the GPU tests of ./cuda and the store's on cuda;
#   cudabench -anyk over 16-bit rows, the default beside [tiled] (the
#   scores on the CUDA cores) in the same process; embench's 1M-row store
#   beside plain PyTorch.
# D (carry .gpu with exactcheck): the store's tests on cuda without the
#   torch adapter (which crashed in C, in its shim's Open), and
#   cmd/exactcheck on cuda for float16 rows (768-d: the large-k scores on
#   tensor cores) with 8 and 40 queries a batch.
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
C)
	unpack
	echo "== go test ./cuda ($((SECONDS - T0)) s)"
	gpu_tests cuda 200 "TestSearchLargeK|TestSearchRegimes|TestBackend|TestWarmCompiles"
	echo "== store on cuda ($((SECONDS - T0)) s)"
	gpu_tests store 150 'TestSearchExact|TestLargeBatch|TestFilteredSearchShares|TestOpensOnEveryBackend/cuda' SILICA_STORE_BACKENDS=cuda
	echo "== cudabench -anyk ($((SECONDS - T0)) s)"
	lim 150 $G/cudabench -anyk -reps 10 -only "${ONLY:-any-k fp16, 8 queries, k=1000|any-k fp16, 8 queries, k=4096|any-k fp16, 64 queries, k=4096|any-k fp16, 8 queries, k=1000 [tiled]|any-k fp16, 8 queries, k=4096 [tiled]|any-k fp16, 64 queries, k=4096 [tiled]}" \
		-out "$OUT/anyk.json" 2>&1 | tee "$OUT/anyk.log" | grep -E '^any-k' | cut -c1-150
	left=$((570 - (SECONDS - T0)))
	echo "== embench store, 1M rows ($((SECONDS - T0)) s, $left s left)"
	[ $left -gt 120 ] && store1m $left
	;;
D)
	unpack
	echo "== store on cuda ($((SECONDS - T0)) s)"
	gpu_tests store 200 'TestSearchExact/cuda|TestLargeBatch|TestFilteredSearchShares' SILICA_STORE_BACKENDS=cuda
	for qn in 8 40; do
		echo "== exactcheck f16, $qn queries ($((SECONDS - T0)) s)"
		lim 150 $G/exactcheck -backend cuda -dtypes f16 -queries $qn -seed 17 2>&1 | tee "$OUT/exactcheck_$qn.log" | tail -8
	done
	;;
*)
	echo "usage: run17.sh A|B|C|D" >&2
	exit 2
	;;
esac
echo "done in $((SECONDS - T0)) s"
