#!/usr/bin/env bash
# bench/cuda/scripts/run33.sh PHASE: the 2026-12-07 (fourteenth)
# session's GPU work (bench/cuda/NOTES.md, run 33). Build here first
# (CGO_ENABLED=0, -ldflags=-s -w, xz-packed into .gpu; carry .gpu).
#
# cudabench_base: ee28c5b with this session's cmd/cudabench (AllowIDs
# searches); cudabench and store.test: the AllowIDs filters' bitmaps
# kept for the store's state (bitmapMemo) and made on every core.
#
# A: the store's filter tests on cuda (TestFilterKeptAcrossWrites,
#    TestFilteredSearch*); -storeprof of 1 and 64 queries at k = 100 over
#    1M rows: unfiltered; through Where keeping 10% (1 query); through
#    AllowIDs keeping 10%, made once and made for each search; through
#    AllowIDs keeping 50%, made once; base and new interleaved.
#
# B: cudabench_prev (276b799) against cudabench, cuda.test and store.test
#    with the masked tensor-core scans' failing rows kept out of a
#    buffer that holds kk keys: the cuda package's TestBackend and
#    emulated scans, the store's filter tests on cuda, then -storeprof
#    of the filtered searches, prev and new interleaved.
#
# C: as B, the failing rows' test of the buffer's count made only where
#    the threshold lets the worst score in (B's took the 64 float16
#    queries keeping 50% from 1.01-1.02 ms of device to 1.11-1.12):
#    the store's filter tests on cuda, -storeprof prev and new.
. "$(dirname "$0")/lib.sh"
FILTERED='1:100;1:100:10;1:100:10a;1:100:10n;1:100:50a;64:100;64:100:10a;64:100:10n;64:100:50a'
case "$1" in
A)
	unpack
	gpuinfo
	echo "== store on cuda ($((SECONDS - T0)) s)"
	gpu_tests store 150 'TestFilterKeptAcrossWrites|TestFilteredSearch' SILICA_STORE_BACKENDS=cuda
	storeprof_rounds 150 10 "$FILTERED" '^store search' 420 cudabench_base cudabench
	;;
B)
	unpack
	gpuinfo
	gpu_tests cuda 150 'TestBackend|TestScanV4Emulated|TestSearchRegimes'
	echo "== store on cuda ($((SECONDS - T0)) s)"
	gpu_tests store 100 'TestFilterKeptAcrossWrites|TestFilteredSearch' SILICA_STORE_BACKENDS=cuda
	storeprof_rounds 60 10 '64:100;64:100:10a;64:100:50a;64:1000:10a;64:1000' '^store search' 330 cudabench_prev cudabench cudabench_prev cudabench
	;;
C)
	unpack
	gpu_tests store 60 'TestFilterKeptAcrossWrites|TestFilteredSearch' SILICA_STORE_BACKENDS=cuda
	storeprof_rounds 40 10 '64:100;64:100:10a;64:100:50a' '^store search' 150 cudabench_prev cudabench cudabench_prev cudabench
	;;
esac
echo "== done ($((SECONDS - T0)) s)"
