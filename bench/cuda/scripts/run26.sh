#!/usr/bin/env bash
# bench/cuda/scripts/run26.sh PHASE: the 2026-12-06 (sixth) session's GPU
# work. Build here first (CGO_ENABLED=0, xz-packed into .gpu: cuda.test,
# store.test, cudabench, embench, exactcheck of the commit under test,
# and embench_old, cudabench_old of the commit before it), carry .gpu.
#
# A: the read-ahead (engine.EvalRead; cuda/readahead.go): its cuda tests,
#   -storeprof of 64 and 1 float16 queries at k = 4096 before and after,
#   embench's 1M-row store beside plain PyTorch at k = 4096 for 1, 64 and
#   1024 queries after and before, then the store's tests on cuda with
#   what is left.
# B: TestReadAhead again, and where the host's time goes (see B).
# C: the store's hits built from views of the read-ahead memory (see C).
# D: the final binaries' tests, grid and exactcheck (see D).
. "$(dirname "$0")/lib.sh"
case "$1" in
A)
	unpack
	gpuinfo
	rm -f "$OUT/gpu.txt"
	gpu_tests cuda 90 'TestReadAhead|TestTraceDriver|TestLargeWrite|TestSeeded|TestSearchLargeK'
	for v in "" _old; do
		echo "== cudabench$v -storeprof ($((SECONDS - T0)) s)"
		lim 100 $G/cudabench$v -storeprof fp16,1000000 -reps 30 -storesearch "64:4096;1:4096" 2>&1 |
			tee "$OUT/storeprof$v.log" | grep -v '^      '
	done
	BATCHES='1 64 1024' store_at_k 330 4096
	EMBENCH=embench_old TAG=_old BATCHES='1 64 1024' store_at_k 440 4096
	rm -f "$OUT"/*.json
	store_cuda $((560 - (SECONDS - T0)))
	;;
B)
	# Where the host's time goes after A: a Go CPU profile of the store
	# around 64 float16 queries at k = 4096, and the wall time under
	# other GC and GOMAXPROCS settings.
	unpack
	gpu_tests cuda 60 'TestReadAhead|TestTraceDriver|TestLargeWrite'
	lim 150 $G/cudabench -storeprof fp16,1000000 -reps 1500 -storesearch "64:4096" -cpuprofile "$OUT/host.prof" 2>&1 |
		tee "$OUT/storeprof.log" | grep -v '^      '
	for env in GOGC=100 GOGC=400 GOMAXPROCS=4 GOMAXPROCS=1 GODEBUG=gctrace=1; do
		echo "== $env ($((SECONDS - T0)) s)"
		env $env timeout -k 5 60 $G/cudabench -storeprof fp16,1000000 -reps 200 -storesearch "64:4096;1:4096" >"$OUT/env.log" 2>&1
		grep -E '^store search' "$OUT/env.log"
		echo "gc lines: $(grep -c '^gc ' "$OUT/env.log")"; grep '^gc ' "$OUT/env.log" | tail -2
	done
	rm -f "$OUT/env.log"
	;;
C)
	# After views (engine.View: the store builds its hits from the
	# read-ahead memory), sortTiesBy and readFlags through pinned memory:
	# the tests, -storeprof after and before, embench at k = 4096 for 1
	# and 64 queries after and before, the store's tests on cuda.
	unpack
	gpu_tests cuda 60 'TestReadAhead|TestTraceDriver|TestSeeded'
	echo "== with the read-ahead's lock taken out (cuda_broken.test), TestReadAheadConcurrent must fail:"
	(cd cuda && timeout -k 5 60 $G/cuda_broken.test -test.run TestReadAheadConcurrent -test.count 3 2>&1 | grep -E -m3 'FAIL|ok|differs|PASS')
	for v in "" _old; do
		echo "== cudabench$v -storeprof ($((SECONDS - T0)) s)"
		lim 100 $G/cudabench$v -storeprof fp16,1000000 -reps 100 -storesearch "64:4096;1:4096;64:1000" 2>&1 |
			tee "$OUT/storeprof$v.log" | grep -v '^      '
	done
	store_cuda 150
	BATCHES='1 64' store_at_k 340 4096
	EMBENCH=embench_old TAG=_old BATCHES='1 64' store_at_k 450 4096
	rm -f "$OUT"/*.json
	;;
D)
	# The final binaries: the read-ahead's tests (and, built with the
	# lock in run() taken out, TestReadAheadWaitsForViews, which must fail), the issue's grid (k of KS,
	# 1, 64 and 1024 queries) beside plain PyTorch, exactcheck with what
	# is left.
	unpack
	gpuinfo
	gpu_tests cuda 60 'TestReadAhead|TestTraceDriver'
	echo "== with the read-ahead's lock taken out (cuda_broken.test), TestReadAheadWaitsForViews must fail:"
	(cd cuda && timeout -k 5 60 $G/cuda_broken.test -test.v -test.run 'TestReadAheadWaitsForViews|TestReadAheadConcurrent' 2>&1 | grep -E -- '^(--- |ok|FAIL)|finished|differs')
	BATCHES='1 64 1024' store_at_k $((${END:-330} - 30)) ${KS:-4096 1000 100 10}
	rm -f "$OUT"/*.json
	exact64 ${END:-330} 26
	;;
*)
	echo "usage: run26.sh A|B|C|D" >&2
	exit 2
	;;
esac
