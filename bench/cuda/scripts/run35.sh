#!/usr/bin/env bash
# bench/cuda/scripts/run35.sh PHASE: the 2026-12-07 (sixteenth) session's
# GPU work (bench/cuda/NOTES.md, run 35). Build here first (CGO_ENABLED=0,
# -ldflags=-s -w, xz-packed into .gpu; carry .gpu): cudabench, embench,
# exactcheck, cuda.test, store.test from HEAD; cudabench_bits and
# cuda_bits.test from HEAD with run34e_bitsmem.patch.
#
# A: run 34 D's tests (the unseeded masked scan's failing row listed only
#    while its query has no threshold: ecc6c90, timed in run 34 A but
#    tested only in the emulator), the store's filter tests on cuda, then
#    run 34 E: the bits-in-shared-memory patch's masked and seeded tests
#    and -storeprof of the filtered searches against HEAD, interleaved.
# B: embench's whole grid beside plain PyTorch in one run (store_grid:
#    1, 64 and 1024 queries at k = 10, 100, 1000 and 4096, and the adds).
# C: exactcheck (64 queries a batch), then the store's first use.
# AB: when one call is all the session may get: A's tests of HEAD, then
#    B's grid in the time left.
. "$(dirname "$0")/lib.sh"
TESTS='TestSeeded|TestCandSelect|TestBackend/(ScanMasked|MaskRows|Scan)$'
STORE_TESTS='TestFilterKeptAcrossWrites|TestFilteredSearch'
case "$1" in
A)
	unpack
	gpuinfo
	gpu_checks 120 "$TESTS" 80 "$STORE_TESTS"
	echo "== patch E's tests ($((SECONDS - T0)) s)"
	(cd cuda && lim 120 $G/cuda_bits.test -test.v -test.run 'TestSeeded|TestBackend/(ScanMasked|MaskRows)$' >"$OUT/cuda_bits_tests.log" 2>&1
		echo "rc $?" >>"$OUT/cuda_bits_tests.log")
	grep -E -- '^(--- |ok|FAIL|panic)|^rc ' "$OUT/cuda_bits_tests.log" | head
	storeprof_rounds 40 10 '64:100;64:100:10a;64:1000;64:1000:10a;64:1000:50a' '^store search' ${STOP:-520} \
		cudabench cudabench_bits cudabench cudabench_bits
	;;
B)
	unpack
	gpuinfo
	store_grid 575
	;;
AB)
	unpack
	gpuinfo
	gpu_checks 100 "$TESTS" 60 "$STORE_TESTS"
	store_grid $((580 - (SECONDS - T0)))
	;;
C)
	unpack
	gpuinfo
	exact64 300 35
	echo "== store first use ($((SECONDS - T0)) s)"
	firstuse fp32,1,100 fp16,64,4096
	;;
esac
echo "== done ($((SECONDS - T0)) s)"
