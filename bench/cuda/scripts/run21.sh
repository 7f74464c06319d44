#!/usr/bin/env bash
# bench/cuda/scripts/run21.sh PHASE: the 2026-12-06 session's GPU work.
# Build here first (CGO_ENABLED=0, xz-packed into .gpu: cuda.test,
# store.test, cudabench, embench, and cudabench.base (11a62da) and
# cudabench.mid (78860e2) from worktrees of those commits), carry .gpu.
#
# A: the GPU tests of ./cuda (the gather by a matrix of indices, the
#   long select's rank_select) and the store's on cuda (ids on the
#   device); then cudabench -storeprof over 1M float16 rows: base
#   (11a62da), mid (78860e2: a search maps its rows to ids on the device)
#   and new (396fbd8: also rank_select and the unrolled radix_pass), in
#   the order base, mid, new, new, mid, base; then base and new: -anyk's
#   select modes at 64 float16 queries k=100 and 8 queries k=4096, and
#   -storeprof over 1M float32 rows.
# B: base and ids (53d208b) compared, then embench's store (see the
#   phase). C: the store's tests on cuda and cmd/exactcheck (the phase;
#   not run: the session's device time was too little to start a machine).
. "$(dirname "$0")/lib.sh"
case "$1" in
A)
	unpack
	gpuinfo
	gpu_checks 120 "TestBackend|TestSearchLargeK|TestSearchRegimes|TestTraceDriver|TestLargeWrite" 150 "."
	for b in cudabench.base cudabench.mid cudabench cudabench cudabench.mid cudabench.base; do
		echo "== $b -storeprof fp16,1000000 ($((SECONDS - T0)) s)"
		lim 100 $G/$b -storeprof fp16,1000000 -reps 60 -storesearch "8:4096;8:1000;64:100;1:100" 2>&1 |
			tee -a "$OUT/storeprof_$b.log" | grep -E '^store search|end$|ms$'
	done
	for b in cudabench.base cudabench; do
		echo "== $b -anyk ($((SECONDS - T0)) s)"
		lim 100 $G/$b -anyk -only "any-k fp16, 64 queries, k=100|any-k fp16, 8 queries, k=4096|any-k fp32, 8 queries, k=4096" 2>&1 |
			tee -a "$OUT/anyk_$b.log" | grep -E 'any-k'
		echo "== $b -storeprof fp32,1000000 ($((SECONDS - T0)) s)"
		lim 100 $G/$b -storeprof fp32,1000000 -reps 30 -storesearch "8:4096;8:1000" 2>&1 |
			tee -a "$OUT/storeprof_fp32_$b.log" | grep -E '^store search|ms$'
	done
	;;
B)
	# After A: cudabench.base (af25908: neither change) and cudabench.ids
	# (53d208b: ids mapped on the device for 16384 results or more),
	# alternating, base, ids, ids, base; then base with Go's collector
	# off (GOGC=off: is the host's time after a large search's last driver
	# call the collector's?); then embench's 1M-row store (53d208b)
	# beside plain PyTorch, its search rows, until END seconds (590).
	unpack
	gpuinfo
	for b in cudabench.base cudabench.ids cudabench.ids cudabench.base; do
		echo "== $b -storeprof fp16,1000000 ($((SECONDS - T0)) s)"
		lim 100 $G/$b -storeprof fp16,1000000 -reps 60 -storesearch "8:4096;8:1000;64:100;1:100" 2>&1 |
			tee -a "$OUT/storeprof_$b.log" | grep -E '^store search|end$'
	done
	echo "== cudabench.base -storeprof fp16,1000000, GOGC=off ($((SECONDS - T0)) s)"
	GOGC=off lim 100 $G/cudabench.base -storeprof fp16,1000000 -reps 60 -storesearch "8:4096;64:100" 2>&1 |
		tee -a "$OUT/storeprof_gcoff.log" | grep -E '^store search|end$'
	echo "== embench store, 1M rows ($((SECONDS - T0)) s)"
	lim $((${END:-590} - (SECONDS - T0))) $G/embench --docs 1000000 --backend cuda --peers torch --time 0.3s \
		--scenario store_search_1,store_search_64,store_search_8_k1000,store_search_8_k4096 \
		--json "$OUT/store.json" >"$OUT/store.md" 2>"$OUT/store.err"
	echo "store rc $? ($((SECONDS - T0)) s)"
	grep -E '^\|' "$OUT/store.md" | head -40
	tail -3 "$OUT/store.err"
	;;
C)
	# The committed code (aa2ab04; store.test, exactcheck): the store's
	# search tests on cuda (every device search of theirs maps its rows
	# to ids on the device), then cmd/exactcheck with 8 queries a batch
	# (8 x 4097 results at k = 4096: the ids mapped on the device), both
	# dtypes, every metric, until END seconds (300).
	unpack
	gpuinfo
	echo "== store on cuda ($((SECONDS - T0)) s)"
	gpu_tests store 100 "Search|Device|Filter|Exact|Compact" SILICA_STORE_BACKENDS=cuda
	echo "== exactcheck, 8 queries a batch ($((SECONDS - T0)) s)"
	lim $((${END:-300} - (SECONDS - T0))) $G/exactcheck -backend cuda -queries 8 -seed 21 >"$OUT/exactcheck8.log" 2>&1
	echo "exactcheck rc $?"
	grep -E "violation" "$OUT/exactcheck8.log" | grep -v ": 0 violations" | head -4
	grep -E "on cuda:|^ok" "$OUT/exactcheck8.log"
	;;
*)
	echo "usage: run21.sh A|B|C" >&2
	exit 2
	;;
esac
