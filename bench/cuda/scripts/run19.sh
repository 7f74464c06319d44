#!/usr/bin/env bash
# bench/cuda/scripts/run19.sh PHASE: the 2026-12-05 afternoon session's GPU
# work. Build here first (CGO_ENABLED=0, gzipped into .gpu with
# fort.tgz, the model in .m1/.m2, as run15.sh's header says): the binaries
# each phase names, and for the profiles cudabench unstripped. Phases in
# pairs, the second within 30 s of the first (the model travels in two
# parts):
#
# A (carry .gpu, .m1): the GPU tests of ./cuda (the shared suite with
#   the row-broadcast element-wise pairs and the segment sums); with
#   PROFILE=1 a Go CPU profile of the store's search at k=4096 over 1M
#   float16 rows (cudabench -storeprof -cpuprofile, kept in $OUT).
# B (carry .m2): cudabench -encprof over 100,000 short documents
#   (-enckind lines): cudabench.base (aded95f: before the row-broadcast
#   element-wise path, the one cast for q, k and v, and the pooling by
#   engine.SegmentSum) at budget 8192, then cudabench at budgets 8192 and
#   32768, float32 and float16 weights: the encoder's wall time beside
#   its kernels. Then phase C's work, at the budget that gave cudabench's
#   float16 run the most documents a second.
# C (on a machine where B assembled the model in /tmp/model): the seed's
#   scenario, embench's encode_store over 1,000,000 short documents in
#   float16 (the check against sentence-transformers on a sample of
#   2,000), batches of $BT tokens; then embench's encoder scenarios over
#   100,000 short documents beside sentence-transformers on the same
#   card, float16.
# S (carry .gpu, .m16: one call, when devices are scarce): the model's
#   weights rounded to float16 (45 MB, in one carry with the binaries;
#   float16 encoding rounds them so anyway, and embench's reference runs
#   sentence-transformers in float32 over the same file), then A's GPU
#   tests of the new kernels and B's work with 50,000 documents for
#   -encprof, then C.
# P (carry .gpu; within 30 s of S, on the same machine, or alone): the
#   GPU tests of the shared top-k selection (topk_select's keys now in
#   dynamic shared memory sized to k), then embench's 1M-row store beside
#   plain PyTorch (store1m: the large-k rows, where the store's k+1 had
#   sorted 8192 keys in global memory), then A's host profile at k=4096
#   in the time left.
# T (carry .gpu, .m16: one call, the most important first): the GPU
#   tests of the new and changed kernels, the seed's scenario (C's
#   first part, batches of the default 8192 tokens), the 1M-row store's
#   large-k and 64-query rows beside plain PyTorch, then the encoder
#   beside sentence-transformers over 100,000 lines and -encprof at both
#   budgets in the time left.
. "$(dirname "$0")/lib.sh"
case "$1" in
A)
	unpack
	gpuinfo
	echo "== go test ./cuda ($((SECONDS - T0)) s)"
	gpu_tests cuda 200 "TestBackend|TestUploadsInStreamOrder|TestSearchLargeK|TestMemory"
	[ -n "$PROFILE" ] || exit 0
	hostprof 120
	;;
B)
	[ -s /tmp/model/model.safetensors ] || model
	# The base binary has no -encmodes: it runs its three modes at one budget.
	echo "== encprof lines base ($((SECONDS - T0)) s)"
	lim 150 $G/cudabench.base -encprof /tmp/model,${TEXTS:-100000} -enckind lines -encbudgets 8192 -reps 2 2>&1 |
		tee "$OUT/encprof_base.log" | grep -E '^encode|^      ' | head -40
	echo "== encprof lines new ($((SECONDS - T0)) s)"
	lim 150 $G/cudabench -encprof /tmp/model,${TEXTS:-100000} -enckind lines -encbudgets "${BUDGETS:-8192,32768}" -encmodes float32,float16 -reps 2 2>&1 |
		tee "$OUT/encprof_new.log" | grep -E '^encode|^      ' | head -60
	BT=$(grep -E '^encode .* float16 .*budget' "$OUT/encprof_new.log" | sed -E 's/.*budget ([0-9]+) tokens.*, ([0-9]+) docs\/s.*/\2 \1/' | sort -n | tail -1 | cut -d' ' -f2)
	echo "== the best budget for float16: ${BT:-none}"
	export BT LEFT=$((585 - ${USED:-0} - (SECONDS - T0)))
	bash "$0" C
	;;
S)
	unpack
	gpuinfo
	mkdir -p /tmp/model && cp -r .m16/. /tmp/model/
	echo "== go test ./cuda ($((SECONDS - T0)) s)"
	gpu_tests cuda 120 "TestBackend/(Segment|Binary|FMA|Attention|Chain|TopK)|TestUploadsInStreamOrder|TestSearchLargeK"
	USED=$((SECONDS - T0)) TEXTS=50000 bash "$0" B
	;;
P)
	[ -x $G/cudabench ] || unpack
	gpuinfo
	echo "== go test ./cuda ($((SECONDS - T0)) s)"
	gpu_tests cuda 100 "TestBackend/(TopK|Scan)|TestSearchLargeK"
	store1m_rest 480
	left=$((585 - (SECONDS - T0)))
	[ $left -gt 60 ] && hostprof $((left - 5))
	;;
T)
	unpack
	gpuinfo
	mkdir -p /tmp/model && cp -r .m16/. /tmp/model/
	echo "== go test ./cuda ($((SECONDS - T0)) s)"
	gpu_tests cuda 90 "TestBackend/(Segment|Binary|FMA|Attention|TopK)|TestUploadsInStreamOrder|TestSearchLargeK"
	seed1m 230
	echo "== embench store, 1M rows, large k and 64 queries ($((SECONDS - T0)) s)"
	store1m 130 --scenario store_search_64,store_search_8_k1000,store_search_8_k4096 # the later --scenario wins
	left=$((580 - (SECONDS - T0)))
	[ $left -gt 60 ] && enc100k $((left * 6 / 10))
	left=$((580 - (SECONDS - T0)))
	echo "== encprof lines, 50K ($((SECONDS - T0)) s, $left s left)"
	[ $left -gt 30 ] && lim $left $G/cudabench -encprof /tmp/model,50000 -enckind lines -encbudgets 8192,32768 -encmodes float16 -reps 2 2>&1 |
		tee "$OUT/encprof_new.log" | grep -E '^encode|^      ' | head -40
	;;
C)
	[ -s /tmp/model/model.safetensors ] || { echo "no model in /tmp/model: run B first"; exit 1; }
	left=${LEFT:-585}
	seed1m $((left * 55 / 100)) ${BT:+--batch-tokens $BT}
	enc100k $((left - (SECONDS - T0))) ${BT:+--batch-tokens $BT}
	;;
esac
