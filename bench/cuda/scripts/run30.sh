#!/usr/bin/env bash
# bench/cuda/scripts/run30.sh PHASE: the 2026-12-07 (eleventh) session's
# GPU work: small writes (a search's queries) queued in the stream
# without waiting for it (cuda/write.go's upload, Backend.Write, 0dea818)
# and TF32 candidates more than 2.5E behind the k-th not rescored
# (scan_rescore.cu, 200e7a8). Build here first (CGO_ENABLED=0,
# -ldflags=-s -w, xz-packed into .gpu; carry .gpu): cuda.test,
# store.test, cudabench and embench of the commit; cuda_plant.test with
# device.upload starting its buffer over when full instead of draining
# the stream (a planted bug that TestSmallWritesInStreamOrder must
# catch); cudabench_head from 774811b, the commit before (in a
# worktree).
#
# What ran (on one H100; eighteen calls before got no machine, and the
# device time left was too little for more):
# min: the GPU tests of the writes and the searches (TestBackend left
#   out) and the planted bug, the store's device tests, then cudabench
#   -storeprof of 1 query at k = 100 and 4096 and 64 queries at k =
#   4096, the commit against the one before, float16 and float32
#   (results/run30min_*). The planted bug passed there: the test made
#   its sources between the writes, and the device had finished 4 GiB
#   of memsets first. With the test as committed (16 GiB, the sources
#   made first), plant: the test on the commit and on the plant
#   (results/run30_plant2.log; carry only cuda.test and cuda_plant.test).
# grid: embench's store beside plain PyTorch at k = 4096 (1 and 64
#   queries) and single queries at k = 10, 100 and 1000 (carry only
#   embench; results/run30c_*, run30d_*).
# Not run: 11-bit digits against 8 and where run 29 A's gap came from
#   (run29.sh C is that call; a run with GOGC=off would tell whether
#   the collector makes the gap).
. "$(dirname "$0")/lib.sh"
case "$1" in
min)
	# What the device time left allowed (after nine calls got no machine):
	# A's tests (TestBackend left out) and planted bug, one round of its
	# storeprof, the store's device tests.
	unpack
	gpuinfo
	gpu_tests cuda 120 'TestSmallWritesInStreamOrder|TestLargeWrite|TestWriteRows|TestUploadsInStreamOrder|TestSearchLargeK|TestSearchRegimes|TestSeeded|TestTF32Bound'
	echo "== planted: uploads buffer reused before its copies ran ($((SECONDS - T0)) s)"
	(cd cuda && lim 40 $G/cuda_plant.test -test.v -test.run TestSmallWritesInStreamOrder 2>&1 | tail -6 | tee "$OUT/plant.log")
	echo "== store on cuda ($((SECONDS - T0)) s)"
	(cd store && SILICA_STORE_BACKENDS=cuda lim 70 $G/store.test -test.v -test.run 'TestBatchHitsApart|TestLargeSearchMapsOnDevice|TestSearch|TestDevice' \
		-test.skip 'TestSearchExact/(torch|mlx)' >"$OUT/store_tests.log" 2>&1; echo "rc $?" >>"$OUT/store_tests.log")
	grep -E -- '^(--- FAIL|FAIL|ok|panic)|^rc ' "$OUT/store_tests.log" | head
	echo "store tests: $(grep -c -- '--- PASS' "$OUT/store_tests.log") pass, $(grep -c -- '--- FAIL' "$OUT/store_tests.log") fail"
	storeprof_rounds 45 20 '1:100;1:4096;64:4096' '^store search|rescore' 290 cudabench_head cudabench
	;;
plant)
	unpack
	cd cuda
	for b in cuda cuda_plant; do
		echo "== $b"
		timeout 60 $G/$b.test -test.v -test.run 'TestSmallWritesInStreamOrder' 2>&1 | tail -5
	done 2>&1 | tee $OUT/run30b.log
	;;
grid)
	unpack
	for k in 4096 100 10 1000; do
		b=1,64 scen=store_search_1,store_search_64 f=embench_k$k
		[ $k = 4096 ] || b=1 scen=store_search_1 f=embench1q_k$k
		timeout 150 $G/embench --docs 1000000 --backend cuda --peers torch --time 0.3s --k $k --batches $b --large-k none \
			--scenario $scen >$OUT/$f.md 2>$OUT/$f.err
		echo "k=$k rc $?"
		grep -E '^\| store_search|^\|  \|' $OUT/$f.md | head -12
	done
	;;
*)
	echo "usage: run30.sh min|plant|grid" >&2
	exit 2
	;;
esac
