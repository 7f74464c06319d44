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
esac
echo "== done ($((SECONDS - T0)) s)"
