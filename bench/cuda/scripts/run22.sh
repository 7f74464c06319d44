#!/usr/bin/env bash
# bench/cuda/scripts/run22.sh PHASE: the 2026-12-06 (second) session's GPU
# work. Build here first (CGO_ENABLED=0, xz-packed into .gpu: store.test,
# exactcheck, cudabench, embench), carry .gpu.
#
# A: run21.sh's C, which did not run (the store's tests on cuda, every
#   device search of theirs mapping its rows to ids on the device, and
#   cmd/exactcheck with 8 queries a batch), and the gathers' checks read
#   back in the run and reads and writes over 1 MiB staged through pinned
#   memory (cuda.test: TestBackend/Gather, TestLargeWrite; cuda.test.broken, the
#   results' offset never advanced, must fail it); then cudabench
#   -storeprof over 1M float16 rows: base (0381dc6), new (the checks read
#   back in the run) and all (new with every search mapping its rows to
#   ids on the device: mapOnDeviceMin = 1), in the order base, new, all,
#   all, new, base; the 1024-query search with a Go CPU profile of the
#   host.
# B (43ae3a5; base 0381dc6): the store's tests on cuda with the
#   adapters' libtorch hidden (SILICA_LIBTORCH names a missing folder: A's
#   crashed in libtorch's open of the torch adapter, TestSearchExact/torch,
#   as run 17's did); cudabench -storeprof base and new over 1M float16
#   rows, alternating; then embench's 1M-row store beside plain PyTorch
#   until END seconds.
# C (43ae3a5): the rest of issue 15's grid, embench's 1M-row store beside
#   plain PyTorch at k = 10 (1, 64 and 1024 queries), then k = 1000 and
#   k = 4096 (64 and 1024 queries), until END seconds.
# D (43ae3a5): cudabench -storeprof over 1M float16 rows at 64 queries
#   k = 1000, 64 queries k = 4096 and 1024 queries k = 4096, 5 searches
#   each: where C's large-k time goes.
. "$(dirname "$0")/lib.sh"
case "$1" in
A)
	unpack
	gpuinfo
	for b in cuda.test cuda.test.broken; do
		echo "== $b TestBackend/Gather ($((SECONDS - T0)) s)"
		(cd cuda && lim 90 $G/$b -test.run 'TestBackend/Gather|TestLargeWrite' -test.v >"$OUT/gather_$b.log" 2>&1; echo "rc $?" >>"$OUT/gather_$b.log")
		grep -E -- '^(--- |ok|FAIL|rc )|    --- |gathers' "$OUT/gather_$b.log" | head -6
	done
	echo "== store on cuda ($((SECONDS - T0)) s)"
	gpu_tests store 100 "Search|Device|Filter|Exact|Compact" SILICA_STORE_BACKENDS=cuda
	for b in cudabench.base cudabench cudabench.all cudabench.all cudabench cudabench.base; do
		echo "== $b -storeprof fp16,1000000 ($((SECONDS - T0)) s)"
		lim 60 $G/$b -storeprof fp16,1000000 -reps 40 -storesearch "8:4096;8:1000;64:100;1:100;1024:100" 2>&1 |
			tee -a "$OUT/storeprof_$b.log" | grep -E '^store search|end$'
	done
	echo "== cudabench -storeprof 1024 queries, host profile ($((SECONDS - T0)) s)"
	lim 60 $G/cudabench.all -storeprof fp16,1000000 -reps 100 -storesearch "1024:100" -cpuprofile "$OUT/host1024.prof" 2>&1 |
		tee "$OUT/storeprof1024.log" | grep -E '^store search|end$|ms$'
	echo "== exactcheck, 8 queries a batch ($((SECONDS - T0)) s)"
	lim $((${END:-560} - (SECONDS - T0))) $G/exactcheck -backend cuda -queries 8 -seed 22 >"$OUT/exactcheck8.log" 2>&1
	echo "exactcheck rc $? ($((SECONDS - T0)) s)"
	grep -E "violation" "$OUT/exactcheck8.log" | grep -v ": 0 violations" | head -4
	grep -E "on cuda:|^ok" "$OUT/exactcheck8.log" | tail -12
	;;
B)
	unpack
	gpuinfo
	echo "== store on cuda, no libtorch ($((SECONDS - T0)) s)"
	gpu_tests store 100 "Search|Device|Filter|Exact|Compact|Batch" SILICA_STORE_BACKENDS=cuda SILICA_LIBTORCH=/nonexistent
	for b in cudabench.base cudabench cudabench cudabench.base; do
		echo "== $b -storeprof fp16,1000000 ($((SECONDS - T0)) s)"
		lim 50 $G/$b -storeprof fp16,1000000 -reps 40 -storesearch "1024:100;64:100;1:100;8:4096" 2>&1 |
			tee -a "$OUT/storeprof_fp16.$b.log" | grep -E '^store search|end$'
	done
	store1m_rest ${END:-580}
	;;
C)
	unpack
	gpuinfo
	for kb in 10:store_search_1,store_search_64,store_search_1024 1000:store_search_64,store_search_1024 4096:store_search_64,store_search_1024; do
		k=${kb%%:*}
		left=$((${END:-580} - (SECONDS - T0)))
		echo "== embench store, 1M rows, k=$k ($((SECONDS - T0)) s, $left s left)"
		[ $left -gt 60 ] || break
		lim $left $G/embench --docs 1000000 --backend cuda --peers torch --time 0.3s --k $k --batches 1,64,1024 --large-k none \
			--scenario ${kb#*:} --json "$OUT/store_k$k.json" >"$OUT/store_k$k.md" 2>"$OUT/store_k$k.err"
		echo "store k=$k rc $? ($((SECONDS - T0)) s)"
		grep -E '^\| store_search|^\|  \|' "$OUT/store_k$k.md" | head -24
		tail -2 "$OUT/store_k$k.err"
	done
	;;
D)
	unpack
	for s in 64:1000 64:4096 1024:4096; do
		lim 80 $G/cudabench -storeprof fp16,1000000 -reps 5 -storesearch "$s" >"$OUT/sp_${s/:/_}.log" 2>&1
		grep -E '^store search|end$|ms$' "$OUT/sp_${s/:/_}.log"
	done
	;;
*)
	echo "usage: run22.sh A|B|C|D" >&2
	exit 2
	;;
esac
