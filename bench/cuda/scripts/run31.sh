#!/usr/bin/env bash
# bench/cuda/scripts/run31.sh PHASE: the 2026-12-07 (twelfth) session's
# GPU work at one commit. Build here first (CGO_ENABLED=0, -ldflags=-s
# -w, xz-packed into .gpu; carry .gpu): cuda.test, store.test,
# cudabench, embench and exactcheck of the commit; cudabench_r11 and
# cuda_r11.test with cuda/topk.go's radixBits set to 11.
#
# A: what has not run on a GPU since it was written: TestBackend and the
#    write tests since small writes are queued in the stream (0dea818,
#    ef76637), the search tests, the store's device tests; the large-k
#    tests and -storeprof of single queries with 11-bit digits beside
#    8-bit (run29.sh C's first half); -storeprof of 64 float16 queries at
#    k = 4096 with the collector off beside on (run 29 A's gap); and
#    bench/cuda/probe/splitbw.cu, how fast a float32 scan reads rows kept
#    as two 16-bit planes (built with nvcc there).
# B: the README's grid: embench's store beside plain PyTorch, 1, 64 and
#    1024 queries at k = 100, 1000 and 10, then exactcheck.
# C: the grid at k = 4096.
# D, E: where the host's time goes in large-k searches (a CPU profile; a
#    Go execution trace of the store's regions, cudabench -gotrace).
# F, G: the hits of single queries in memory faulted in during the scan
#    (F: build cudabench, embench and store.test at the commit, and
#    cudabench_head and embench_head at a3b724a).
# H: the cost of putting split rows back together in the tensor-core
#    scans (a timing experiment; cudabench_splitt built with
#    scripts/run31h_splitt.patch); I: its parts.
# J: the hits' slab from 512 hits (single queries at k = 500 and 1000).
. "$(dirname "$0")/lib.sh"
case "$1" in
A)
	unpack
	gpuinfo
	echo "== splitbw probe ($((SECONDS - T0)) s)"
	(lim 60 nvcc -O3 -arch=sm_90 -o /tmp/splitbw bench/cuda/probe/splitbw.cu && lim 60 /tmp/splitbw) 2>&1 | tee "$OUT/splitbw.log"
	gpu_tests cuda 200 'TestBackend|TestSmallWritesInStreamOrder|TestLargeWrite|TestWriteRows|TestUploadsInStreamOrder|TestSearchLargeK|TestSearchRegimes|TestSeeded|TestTF32Bound'
	echo "== store on cuda ($((SECONDS - T0)) s)"
	(cd store && SILICA_STORE_BACKENDS=cuda lim 90 $G/store.test -test.v -test.run 'TestBatchHitsApart|TestLargeSearchMapsOnDevice|TestSearch|TestDevice' \
		-test.skip 'TestSearchExact/(torch|mlx)' >"$OUT/store_tests.log" 2>&1; echo "rc $?" >>"$OUT/store_tests.log")
	grep -E -- '^(--- FAIL|FAIL|ok|panic)|^rc ' "$OUT/store_tests.log" | head
	echo "store tests: $(grep -c -- '--- PASS' "$OUT/store_tests.log") pass, $(grep -c -- '--- FAIL' "$OUT/store_tests.log") fail"
	echo "== 11-bit digits: large-k tests ($((SECONDS - T0)) s)"
	(cd cuda && lim 60 $G/cuda_r11.test -test.v -test.run 'TestSearchLargeK|TestSearchRegimes' 2>&1 | grep -E -- '^(--- |ok|FAIL|panic)' | tee "$OUT/r11_tests.log" | tail -8)
	storeprof_rounds 30 20 '1:100;1:4096' '^store search|radix_pass' 500 cudabench_r11 cudabench cudabench_r11 cudabench
	for gc in 100 off; do
		[ $((SECONDS - T0)) -lt 540 ] || break
		echo "== GOGC=$gc cudabench -storeprof fp16 64:4096 ($((SECONDS - T0)) s)" | tee -a "$OUT/storeprof_gc.log"
		GOGC=$gc lim 30 $G/cudabench -storeprof fp16,1000000 -reps 20 -storesearch '64:4096' 2>&1 | tee -a "$OUT/storeprof_gc.log" |
			grep -E '^store search'
	done
	;;
B)
	unpack
	gpuinfo
	BATCHES='1 64 1024' store_at_k 430 100 1000 10
	rm -f "$OUT"/*.json
	exact64 560 31
	;;
C)
	unpack
	gpuinfo
	BATCHES='1 64 1024' store_at_k 300 4096
	rm -f "$OUT"/*.json
	;;
D)
	# The host's part of 64 float16 queries at k = 4096, with the
	# collector on and off: cudabench -storeprof with a Go CPU profile
	# (results/run31d_*; the profiles stayed on this machine).
	unpack
	for gc in 100 off; do
		GOGC=$gc lim 100 $G/cudabench -storeprof fp16,1000000 -reps 300 -storesearch '64:4096' -cpuprofile $OUT/host_gc$gc.prof 2>&1 |
			tee $OUT/storeprof_gc$gc.log | grep -E '^store search|end$|host between'
	done
	;;
E)
	# A Go execution trace of the store's searches (cudabench -gotrace,
	# the store's regions), read here by gotrace_regions.py
	# (results/run31e_gotrace.txt).
	unpack
	for dt in fp16 fp32; do
		lim 120 $G/cudabench -storeprof $dt,1000000 -reps 60 -storesearch '64:4096;1024:4096;1:4096;64:1000' -gotrace $OUT/t_$dt.out 2>&1 |
			grep -E '^store search|end$'
	done
	GOGC=off lim 60 $G/cudabench -storeprof fp16,1000000 -reps 60 -storesearch '64:4096' -gotrace $OUT/t_fp16_gcoff.out 2>&1 |
		grep -E '^store search|end$'
	;;
F)
	# The hits of a search of 1K hits or more built in memory faulted in
	# while the device scans (store's slabMin): the store's device tests,
	# then -storeprof of single queries, cudabench_head (a3b724a, before)
	# and cudabench interleaved, a Go trace of the new one's float16
	# single query at k = 4096, and embench's single queries at every k
	# of the grid beside plain PyTorch (results/run31f_*).
	unpack
	gpuinfo
	(cd store && SILICA_STORE_BACKENDS=cuda lim 90 $G/store.test -test.v -test.run 'TestBatchHitsApart|TestLargeSearchMapsOnDevice|TestSearch|TestDevice' \
		-test.skip 'TestSearchExact/(torch|mlx)' >"$OUT/store_tests.log" 2>&1; echo "rc $?" >>"$OUT/store_tests.log")
	grep -E -- '^(--- FAIL|FAIL|ok|panic)|^rc ' "$OUT/store_tests.log" | head
	echo "store tests: $(grep -c -- '--- PASS' "$OUT/store_tests.log") pass, $(grep -c -- '--- FAIL' "$OUT/store_tests.log") fail"
	storeprof_rounds 40 30 '1:100;1:1000;1:4096' '^store search|end$' 600 cudabench_head cudabench cudabench_head cudabench
	lim 40 $G/cudabench -storeprof fp16,1000000 -reps 60 -storesearch '1:4096' -gotrace $OUT/t_fp16_1q.out 2>&1 | grep -E '^store search'
	for k in 10 100 1000 4096; do
		[ $((SECONDS - T0)) -lt 540 ] || break
		lim $((590 - (SECONDS - T0))) $G/embench --docs 1000000 --backend cuda --peers torch --time 0.3s --k $k --batches 1 --large-k none \
			--scenario store_search_1 >$OUT/embench1q_k$k.md 2>$OUT/embench1q_k$k.err
		echo "k=$k rc $? ($((SECONDS - T0)) s)"
		grep -E '^\| store_search|^\|  \|' $OUT/embench1q_k$k.md | head -4
	done
	;;
G)
	# F's logs of the store's tests did not come back (more than 8 files):
	# the store's device tests again, then embench's single query at k =
	# 4096 from embench_head (a3b724a) and embench, interleaved, beside
	# plain PyTorch (results/run31g_*).
	unpack
	(cd store && SILICA_STORE_BACKENDS=cuda lim 90 $G/store.test -test.v -test.run 'TestBatchHitsApart|TestLargeSearchMapsOnDevice|TestSearch|TestDevice' \
		-test.skip 'TestSearchExact/(torch|mlx)' >"$OUT/store_tests.log" 2>&1; echo "rc $?" >>"$OUT/store_tests.log")
	echo "store tests: $(grep -c -- '--- PASS' "$OUT/store_tests.log") pass, $(grep -c -- '--- FAIL' "$OUT/store_tests.log") fail"
	for b in embench_head embench embench_head embench; do
		lim 60 $G/$b --docs 1000000 --backend cuda --peers torch --time 0.3s --k 4096 --batches 1 --large-k none --scenario store_search_1 >$OUT/x.md 2>/dev/null
		echo "== $b"
		grep -E '^\| store_search|^\|  \|' $OUT/x.md | head -4 | tee -a $OUT/ab_k4096.md
	done
	rm $OUT/x.md
	;;
H)
	# What it costs the tensor-core scans to put split float32 rows back
	# together in shared memory (NOTES, run 31): cudabench_splitt is
	# cudabench built with scripts/run31h_splitt.patch applied, which with
	# SILICA_CUDA_SPLITT=1 copies each 16-byte chunk of the stored rows as
	# two 8-byte cp.async (a split row's high and low halves) and has each
	# thread read and write back its chunks of a stage before the stage's
	# barrier (v5: and a fence.proxy.async before its wgmma). The data are
	# the usual rows, so the scores and the selection are unchanged:
	# timing only. v5 twice, then v4 (results/run31h_*).
	unpack
	for run in v5:0 v5:1 v5:0 v5:1 v4:0 v4:1; do
		[ $((SECONDS - T0)) -lt 400 ] || break
		echo "== scan ${run%:*} SILICA_CUDA_SPLITT=${run#*:} ($((SECONDS - T0)) s)" | tee -a $OUT/splitt.log
		SILICA_CUDA_SCAN=${run%:*} SILICA_CUDA_SPLITT=${run#*:} lim 90 $G/cudabench_splitt -storeprof fp32,1000000 -reps 10 \
			-storesearch '64:100;64:4096;1024:100;1024:4096' 2>&1 | tee -a $OUT/splitt.log | grep -E '^store search|scan_(wgmma|mma)'
	done
	;;
I)
	# H's cost taken apart (the patch as committed: SILICA_CUDA_SPLITT=2
	# keeps the 16-byte copies and rewrites the chunks, 3 makes the two
	# 8-byte copies and rewrites nothing; 1 is H's both).
	unpack
	for run in v5:0 v5:2 v5:3 v4:0 v4:2 v4:3; do
		echo "== scan ${run%:*} SILICA_CUDA_SPLITT=${run#*:} ($((SECONDS - T0)) s)" | tee -a $OUT/splitt2.log
		SILICA_CUDA_SCAN=${run%:*} SILICA_CUDA_SPLITT=${run#*:} lim 60 $G/cudabench_splitt -storeprof fp32,1000000 -reps 10 \
			-storesearch '64:100;1024:100' 2>&1 | tee -a $OUT/splitt2.log | grep -E 'scan_(wgmma|mma)'
	done
	;;
J)
	# slabMin at 512 hits (cudabench, 01f55f1 with store/search.go's
	# slabMin set to 1 << 9) against 1024 (cudabench_head, 01f55f1):
	# single queries at k = 500 and 1000, which only the lower one puts
	# in a slab (results/run31j_storeprof.log; the copy of storeprof.log
	# the call made). No difference: slabMin stays 1024.
	unpack
	storeprof_rounds 40 30 '1:500;1:1000' '^store search|end$' 200 cudabench_head cudabench cudabench_head cudabench
	;;
*)
	echo "usage: run31.sh A|B|C|D|E|F|G|H|I|J" >&2
	exit 2
	;;
esac
