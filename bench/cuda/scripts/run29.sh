#!/usr/bin/env bash
# bench/cuda/scripts/run29.sh PHASE: the 2026-12-07 (tenth) session's GPU
# work: what run 28 left unmeasured (the hits' slab, bc8dfd8 and
# 666ea6d; the mapping from 2048 results; last_to_arrive), the radix
# select's bin found by a warp (topk.cu's pick_digit) and rank_select's
# ranks written tile by tile (265c165, 8884e18), then the grid.
# Build here first (CGO_ENABLED=0; embench_old from 9d0c205, the commit
# before the slab, and cudabench_head from 2d91784, before those,
# in worktrees), xz-packed into .gpu; carry .gpu:
#
#   F='-ldflags=-s -w'; export CGO_ENABLED=0; mkdir -p .gpu
#   go test -c "$F" -o .gpu/cuda.test ./cuda
#   go test -c "$F" -o .gpu/store.test ./store
#   go build "$F" -o .gpu/embench ./cmd/embench
#   go build "$F" -o .gpu/exactcheck ./cmd/exactcheck
#   go build "$F" -o .gpu/cudabench ./cmd/cudabench
#   (in the old worktree) go build "$F" -o .gpu/embench_old ./cmd/embench
#   (in the head worktree) go build "$F" -o .gpu/cudabench_head ./cmd/cudabench
#   xz -6 -T2 .gpu/*
#
# A: the GPU tests of the search (./cuda; the store's device searches on
#   cuda, TestBatchHitsApart among them); cudabench -storeprof of one
#   query at k = 100 and 4096 and 64 queries at k = 4096, with
#   them (cudabench) and without (cudabench_head), float16 and
#   float32 (results/run29a_storeprof_*); then embench's store at 1, 64
#   and 1024 queries and k = 4096 beside plain PyTorch, with the slab and
#   the kernels above (embench, with a Go CPU profile) and without them
#   (embench_old) (results/run29a_*).
# B: the rest of the README's grid with embench (k = 10, 100 and 1000;
#   results/run29b_*), then cmd/exactcheck at 64 queries a batch; k = 4096
#   ran after it in a call of its own (lib.sh's store_at_k 280 4096 with
#   BATCHES='1 64 1024').
# C: see below (not run).
. "$(dirname "$0")/lib.sh"
case "$1" in
A)
	unpack
	gpuinfo
	# eight files come back: gpu.txt, two test logs, two storeprof logs,
	# two embench tables and one profile.
	gpu_tests cuda 150 'TestSearchLargeK|TestSearchRegimes|TestSeeded|TestBackend|TestWarmCompiles'
	gpu_tests store 90 'TestBatchHitsApart|TestLargeSearchMapsOnDevice|TestSearch|TestDevice' SILICA_STORE_BACKENDS=cuda
	for bin in cudabench cudabench_head; do
		for dt in fp16 fp32; do
			echo "== $bin -storeprof $dt,1000000 ($((SECONDS - T0)) s)"
			lim 100 $G/$bin -storeprof $dt,1000000 -reps 20 -storesearch '1:100;1:4096;64:4096' 2>&1 | tee -a "$OUT/storeprof_$bin.log" |
				grep -E '^store search|kernels of one|radix|rank_select|topk_select|seed_final|cand_compact'
		done
	done
	for bin in embench embench_old; do
		echo "== $bin store, 1M rows, k=4096 ($((SECONDS - T0)) s)"
		prof=()
		[ $bin = embench ] && prof=(--cpuprofile "$OUT/host_$bin.prof")
		lim 130 $G/$bin --docs 1000000 --backend cuda --peers torch --time 0.3s --k 4096 --batches 1,64,1024 --large-k none \
			--scenario store_search_1,store_search_64,store_search_1024 "${prof[@]}" >"$OUT/${bin}_k4096.md" 2>/tmp/${bin}_k4096.err
		echo "rc $?"
		grep -E '^\| store_search|^\|  \|' "$OUT/${bin}_k4096.md" | head -12
		tail -2 /tmp/${bin}_k4096.err
	done
	;;
B)
	unpack
	gpuinfo
	BATCHES='1 64 1024' store_at_k 430 100 1000 10
	rm -f "$OUT"/*.json
	exact64 560 29
	;;
C)
	# Not run: the session's device time was spent. After B: 11-bit
	# digits in the multi-block select (six radix passes where eight take
	# 8-bit digits; cudabench_r11 and cuda.test, built with cuda/topk.go's
	# radixBits set to 11) against 8-bit (cudabench): the GPU
	# tests of the large-k searches and cudabench -storeprof of single
	# queries; then where the hits' slab's gap in the launches comes
	# from: the slab as built (cudabench), its chunks allocated by the
	# searching goroutine and only their pages touched by the others
	# (cudabench_alloc), and no slab (cudabench_noslab: prefaultMin
	# 2^40), each built with that change to store/search.go: -storeprof's trace
	# of 64 and 1024 float16 queries at k = 4096; last the store's device
	# tests (A's run stopped in libtorch's adapter, which crashes in its
	# open on these machines) (results/run29c_*).
	unpack
	gpuinfo
	gpu_tests cuda 60 'TestSearchLargeK|TestSearchRegimes'
	storeprof_rounds 30 20 '1:100;1:4096' '^store search|kernels of one|radix_pass' 600 cudabench_r11 cudabench cudabench_r11
	for bin in cudabench cudabench_alloc cudabench_noslab; do
		echo "== $bin -storeprof fp16 ($((SECONDS - T0)) s)" | tee -a "$OUT/storeprof.log"
		lim 40 $G/$bin -storeprof fp16,1000000 -reps 20 -storesearch '64:4096;1024:4096' 2>&1 | tee -a "$OUT/storeprof.log" |
			grep -E '^store search|^ +[0-9.]+ +[0-9.]+ +[0-9]{3}\.[0-9] |end$'
	done
	(cd store && SILICA_STORE_BACKENDS=cuda lim 45 $G/store.test -test.v -test.run 'TestBatchHitsApart|TestLargeSearchMapsOnDevice|TestSearch|TestDevice' \
		-test.skip 'TestSearchExact/(torch|mlx)' >"$OUT/store_tests.log" 2>&1; echo "rc $?" >>"$OUT/store_tests.log")
	grep -E -- '^(--- FAIL|FAIL|ok|panic)|^rc ' "$OUT/store_tests.log" | head
	echo "store tests: $(grep -c -- '--- PASS' "$OUT/store_tests.log") pass, $(grep -c -- '--- FAIL' "$OUT/store_tests.log") fail"
	;;
*)
	echo "usage: run29.sh A|B|C" >&2
	exit 2
	;;
esac
