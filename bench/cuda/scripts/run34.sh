#!/usr/bin/env bash
# bench/cuda/scripts/run34.sh PHASE: the 2026-12-07 (fifteenth)
# session's GPU work (bench/cuda/NOTES.md, run 34). Build here first
# (CGO_ENABLED=0, -ldflags=-s -w, xz-packed into .gpu; carry .gpu).
#
# cudabench_prev: 45006fc. cudabench, cuda.test, store.test, embench,
# exactcheck: masked searches of many queries seeded like unmasked ones
# (cuda/seed.go; a seeded scan lists no failing row, and its blocks
# return at once when every seed is the worst score). cudabench_D: the
# same with the unseeded masked scan's failing row let into a buffer
# only while its query has no threshold (no read of the buffer's count).
#
# A: the cuda package's seeded, candidate, regime and backend tests; the
#    store's filter tests on cuda; -storeprof of 64 queries at k = 100
#    and 1000, unfiltered and through AllowIDs keeping 10% and half, and
#    one query keeping 10%: prev, new and D interleaved, two rounds;
#    exactcheck with 64 queries a batch in the time left.
# B: embench's grid beside plain PyTorch at k = 10, 100 and 1000 (1, 64
#    and 1024 queries).
# C: the grid at k = 4096; the store's first use (cudabench -storefirst:
#    cold cache, cached, cold 8 s after Open); embench's 1M-row adds and
#    device memory beside PyTorch.
# D: see below. Only A ran in the fifteenth session (B, C, D and E found
#    no machine); D comes first next time.
# E: cudabench_bits, cuda_bits.test: HEAD with run34e_bitsmem.patch (a
#    tile's bits staged in shared memory by row_scales, so that an offer
#    of a masked tensor-core scan reads no global memory; the emulated
#    scans pass with it and fail with a bit off by one): its masked and
#    seeded tests, then -storeprof of the filtered searches against
#    cudabench, interleaved.
. "$(dirname "$0")/lib.sh"
case "$1" in
A)
	unpack
	gpuinfo
	gpu_tests cuda 170 'TestSeeded|TestCandSelect|TestSearchRegimes|TestBackend'
	echo "== store on cuda ($((SECONDS - T0)) s)"
	gpu_tests store 100 'TestFilterKeptAcrossWrites|TestFilteredSearch' SILICA_STORE_BACKENDS=cuda
	storeprof_rounds 40 10 '64:100;64:100:10a;64:100:50a;64:1000;64:1000:10a;64:1000:50a;1:100:10a' '^store search' 470 \
		cudabench_prev cudabench cudabench_D cudabench_prev cudabench cudabench_D
	exact64 575 34
	;;
B)
	unpack
	gpuinfo
	BATCHES='1 64 1024' store_at_k 570 100 1000 10
	rm -f "$OUT"/*.json
	;;
C)
	unpack
	gpuinfo
	BATCHES='1 64 1024' store_at_k 300 4096
	rm -f "$OUT"/*.json
	echo "== store first use ($((SECONDS - T0)) s)"
	firstuse fp32,1,100 fp16,64,4096
	echo "== embench store_add, 1M rows ($((SECONDS - T0)) s)"
	lim $((580 - (SECONDS - T0))) $G/embench --docs 1000000 --backend cuda --peers torch --time 0.3s --scenario store_add \
		>"$OUT/store_add.md" 2>"$OUT/store_add.err"
	echo "store_add rc $? ($((SECONDS - T0)) s)"
	grep -E '^\|' "$OUT/store_add.md" | head -24
	tail -2 "$OUT/store_add.err"
	;;
D)
	# After A: D's rule kept (the failing row of an unseeded masked scan
	# enters only while its query has no threshold): its masked and seeded
	# tests on the GPU, the store's filter tests, -storeprof of the
	# filtered searches (until STOP seconds in), then with GRID set the
	# grid at k = 100 beside plain PyTorch.
	unpack
	gpuinfo
	gpu_tests cuda 120 'TestSeeded|TestCandSelect|TestBackend/(ScanMasked|MaskRows|Scan)$'
	echo "== store on cuda ($((SECONDS - T0)) s)"
	gpu_tests store 80 'TestFilterKeptAcrossWrites|TestFilteredSearch' SILICA_STORE_BACKENDS=cuda
	storeprof_rounds 40 10 '64:100;64:100:10a;64:100:50a;64:1000;64:1000:10a;64:1000:50a' '^store search' ${STOP:-250} cudabench
	[ -z "$GRID" ] || BATCHES='1 64 1024' store_at_k 400 100
	rm -f "$OUT"/*.json
	;;
E)
	unpack
	gpuinfo
	(cd cuda && lim 150 $G/cuda_bits.test -test.v -test.run 'TestSeeded|TestBackend/(ScanMasked|MaskRows)$' >"$OUT/cuda_bits_tests.log" 2>&1
		echo "rc $?" >>"$OUT/cuda_bits_tests.log")
	grep -E -- '^(--- |ok|FAIL|panic)|^rc ' "$OUT/cuda_bits_tests.log" | head
	storeprof_rounds 40 10 '64:100;64:100:10a;64:100:50a;64:1000;64:1000:10a;64:1000:50a' '^store search' 500 \
		cudabench cudabench_bits cudabench cudabench_bits
	;;
esac
echo "== done ($((SECONDS - T0)) s)"
