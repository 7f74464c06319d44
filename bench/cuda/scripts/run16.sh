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
# P (carry .gpu only): the store's tests on cuda (large batches, filters);
#   cudabench -anyk over the large-k searches of few queries with the
#   scores kernel's tunings (-scoressweep); embench's 1M-row store beside
#   plain PyTorch with a Go CPU profile of the run (store.prof).
# Q (carry .gpu, with cuda.test): P after the GPU tests of ./cuda
#   (TestLargeWrite: the pinned staging of large writes), with the
#   scores kernel's new default and further tunings.
# R (carry .gpu, with cuda.test and cudabench_old, cudabench built from
#   the commit before the row scan's query layout and shared loads): the
#   GPU tests of ./cuda, then the row scan's searches (1 and 8 queries,
#   k = 100 and 1000; 64 queries, k = 4096) by the old and the new
#   cudabench in turn.
# S (carry .gpu, with cuda.test): Q again, with SWEEP="" and ONLY the
#   few-query searches, after groups of queries score and select at any
#   k (groupScores).
# W (carry .gpu holding only weaviate-silica.xz, built by
#   integrations/weaviate/build.sh -o and compressed by xz -6 to fit the
#   carry, and clustertest.test.gz, go test -c
#   of integrations/weaviate/clustertest): integrations/weaviate's
#   TestBench on this machine's cores and GPU, the three nodes' silica
#   indexes on cuda, then on cpu, N objects (default 50000) of dimension
#   DIM (default 128).
# Logs in $OUT.
. "$(dirname "$0")/lib.sh"
case "$1" in
A)
	unpack
	gpuinfo
	echo "== go test ./cuda ($((SECONDS - T0)) s)"
	gpu_tests cuda ${TESTS_S:-240} "${TESTS:-TestBackend|TestSearchRegimes|TestSearchLargeK|TestSearchRefine|TestWarmCompiles|TestDiskCache|TestMemory|TestConfig|TestTF32Bound|TestNearTies|TestCloseThenUse|TestCloseConcurrent}"
	echo "== store on cuda ($((SECONDS - T0)) s)"
	gpu_tests store 150 'TestFilteredSearchShares|TestOpensOnEveryBackend/cuda' SILICA_STORE_BACKENDS=cuda
	;;
G)
	model
	echo "== encode's tests on cuda ($((SECONDS - T0)) s)"
	(cd encode && SILICA_ENCODE_BACKENDS=cuda SILICA_MODEL_DIR=/tmp/model lim 400 $G/encode.test -test.v \
		-test.run 'TestAgainstSentenceTransformers' >"$OUT/encode_tests.log" 2>&1; echo "rc $?" >>"$OUT/encode_tests.log")
	grep -E -- '^(--- |FAIL|ok|panic)|^rc |cuda|cosine' "$OUT/encode_tests.log" | head -30
	;;
Q | S)
	unpack
	echo "== go test ./cuda ($((SECONDS - T0)) s)"
	gpu_tests cuda 150 "TestLargeWrite|TestBackend|TestSearchLargeK|TestSearchRegimes|TestMemory|TestCloseThenUse"
	;&
P)
	[ "$1" = P ] && unpack
	echo "== store on cuda ($((SECONDS - T0)) s)"
	gpu_tests store 150 'TestLargeBatch|TestFilteredSearchShares|TestOpensOnEveryBackend/cuda' SILICA_STORE_BACKENDS=cuda
	echo "== cudabench -anyk, scores tunings ($((SECONDS - T0)) s)"
	lim 170 $G/cudabench -anyk -reps 10 -only "${ONLY:-any-k fp16, 8 queries, k=1000|any-k fp16, 8 queries, k=4096|any-k fp32, 8 queries, k=1000|any-k fp16, 64 queries, k=4096}" \
		-scoressweep "${SWEEP-2,2;2,3;3,2;4,2;1,3;1,4;2,4}" -out "$OUT/anyk.json" 2>&1 | tee "$OUT/anyk.log" | grep -E 'any-k' | cut -c1-150
	left=$((560 - (SECONDS - T0)))
	echo "== embench store, 1M rows ($((SECONDS - T0)) s, $left s left)"
	store1m $((left > 60 ? left : 60)) --cpuprofile "$OUT/store.prof"
	;;
R)
	unpack
	echo "== go test ./cuda ($((SECONDS - T0)) s)"
	gpu_tests cuda 200 "TestBackend|TestSearchLargeK|TestSearchRegimes|TestTF32Bound|TestNearTies|TestSearchRefine"
	rows="any-k fp16, 1 queries, k=100|any-k fp32, 1 queries, k=100|any-k fp16, 8 queries, k=100|any-k fp32, 8 queries, k=100|any-k fp16, 8 queries, k=1000|any-k fp32, 8 queries, k=1000|any-k fp16, 64 queries, k=4096"
	for round in 1 2; do
		for b in cudabench_old cudabench; do
			echo "== $b, round $round ($((SECONDS - T0)) s)"
			lim 120 $G/$b -anyk -reps 10 -only "$rows" ${SWEEP:+-scoressweep "$SWEEP"} 2>&1 | tee "$OUT/anyk_${b}_$round.log" | grep -E '^any-k' | grep -v '\[fused\]\|\[select\]' | cut -c1-100
		done
	done
	;;
W)
	mkdir -p $G
	gunzip -c .gpu/clustertest.test.gz >$G/clustertest.test && xz -dc .gpu/weaviate-silica.xz >$G/weaviate-silica || exit 1
	chmod +x $G/clustertest.test $G/weaviate-silica
	for be in cuda cpu; do
		echo "== TestBench, silica on $be ($((SECONDS - T0)) s)"
		(cd integrations/weaviate/clustertest && SILICA_WEAVIATE_BIN=$G/weaviate-silica SILICA_WEAVIATE_BACKEND=$be \
			SILICA_WEAVIATE_BENCH=1 SILICA_WEAVIATE_BENCH_N=${N:-50000} SILICA_WEAVIATE_BENCH_DIM=${DIM:-128} \
			SILICA_WEAVIATE_BENCH_OUT="$OUT/bench_$be.md" lim ${BENCH_S:-210} $G/clustertest.test -test.run TestBench -test.v \
			>"$OUT/bench_$be.log" 2>&1; echo "rc $?" >>"$OUT/bench_$be.log")
		grep -E -- '^(--- |FAIL|ok|panic)|^rc |inserted' "$OUT/bench_$be.log" | head
		cat "$OUT/bench_$be.md" 2>/dev/null
	done
	;;
*)
	echo "usage: run16.sh A|G|P|Q|R|S|W" >&2
	exit 2
	;;
esac
echo "done in $((SECONDS - T0)) s"
