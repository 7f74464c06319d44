#!/usr/bin/env bash
# bench/cuda/scripts/run28.sh PHASE: the 2026-12-07 (ninth) session's GPU
# work: the final order of a few queries' candidates by counting ranks
# (topk.cu's rank_select) where one block sorted them (topk_select).
# Build here first (CGO_ENABLED=0; the _old binaries from the commit
# before the change, in a worktree), xz-packed into .gpu; carry .gpu:
#
#   F='-ldflags=-s -w'; export CGO_ENABLED=0; mkdir -p .gpu
#   go test -c "$F" -o .gpu/cuda.test ./cuda
#   go test -c "$F" -o .gpu/store.test ./store
#   go build "$F" -o .gpu/embench ./cmd/embench
#   go build "$F" -o .gpu/cudabench ./cmd/cudabench
#   (in the old worktree) go build "$F" -o .gpu/cudabench_old ./cmd/cudabench
#   xz -9 .gpu/*
#
# A: the GPU tests of the search (large k, the regimes, the seeded scan,
#   the shared suite's top-k, warm compiles); cudabench -storeprof of one
#   query at k = 100, 1000 and 4096 and 64 queries at k = 4096, float16
#   and float32, new and old binaries in turn; then embench's store at
#   one query for each k beside plain PyTorch (results/run28a_*).
# B: embench's store at 1 and 64 queries, k = 4096 and 100, beside plain
#   PyTorch, with the store's rows mapped to ids on the host below 16384
#   results (embench) and below 512 (embench_map, built with
#   mapOnDeviceMin = 512), each with a Go CPU profile (results/run28b_*).
# C: the README's grid with the final binaries: 1, 64 and 1024 queries at
#   k = 10, 100, 1000 and 4096 (results/run28c_*); then one float32 query
#   at k = 4096 alone, with a Go CPU profile of embench.
. "$(dirname "$0")/lib.sh"
# prof BIN TAG SEARCHES: cudabench BIN's -storeprof over 1M rows, float16
# then float32, into $OUT/storeprof_TAG_DTYPE.log.
prof() {
	for dt in fp16 fp32; do
		echo "== $1 -storeprof $dt,1000000 ($((SECONDS - T0)) s)"
		lim 120 $G/$1 -storeprof $dt,1000000 -reps 20 -storesearch "$3" 2>&1 | tee "$OUT/storeprof_$2_$dt.log" |
			grep -E '^store search|kernels of one|radix|topk_select|rank_select|rowscan|matmul_skinny|wgmma|rescore|seed_final|gather'
	done
}
case "$1" in
A)
	unpack
	gpuinfo
	gpu_tests cuda 150 'TestSearchLargeK|TestSearchRegimes|TestSeeded|TestBackend|TestWarmCompiles'
	S='1:4096;1:1000;1:100;64:4096'
	prof cudabench new "$S"
	prof cudabench_old old "$S"
	BATCHES='1' store_at_k 560 4096 1000 100 10
	rm -f "$OUT"/*.json
	;;
B)
	unpack
	gpuinfo
	# embench_map: the store's mapOnDeviceMin at 512 results (16384 in
	# embench): one query at k = 4096 maps its rows to ids on the device.
	for bin in embench embench_map; do
		for k in 4096 100; do
			echo "== $bin store, 1M rows, k=$k ($((SECONDS - T0)) s)"
			lim 100 $G/$bin --docs 1000000 --backend cuda --peers torch --time 0.5s --k $k --batches 1,64 --large-k none \
				--scenario store_search_1,store_search_64 --cpuprofile "$OUT/host_${bin}_k$k.prof" >"$OUT/${bin}_k$k.md" 2>"$OUT/${bin}_k$k.err"
			echo "rc $?"
			grep -E '^\| store_search|^\|  \|' "$OUT/${bin}_k$k.md" | head -12
			tail -2 "$OUT/${bin}_k$k.err"
		done
	done
	;;
C)
	unpack
	gpuinfo
	BATCHES='1 64 1024' store_at_k 480 4096 1000 100 10
	rm -f "$OUT"/*.json
	echo "== embench one float32 query at k = 4096 with a Go CPU profile ($((SECONDS - T0)) s)"
	lim 100 $G/embench --docs 1000000 --backend cuda --peers none --time 3s --k 4096 --batches 1 --large-k none \
		--scenario store_search_1 --dtypes float32 --cpuprofile "$OUT/host_k4096.prof" 2>&1 | grep -E '^\| store_search|^\|  \|'
	;;
*)
	echo "usage: run28.sh A|B|C" >&2
	exit 2
	;;
esac
