#!/usr/bin/env bash
# bench/cuda/scripts/run18.sh PHASE: the 2026-12-05 session's GPU work.
# Build here first (CGO_ENABLED=0, -ldflags=-s -w, gzipped into .gpu as
# run15.sh's header says): cuda.test, store.test, embench and cudabench
# of the working tree, and embench.base and cudabench.base of the commit
# before the change measured (a git worktree of it); run with carry
# [".gpu"].
#
# A (driver calls on the caller's thread, no hand-off to a device
#   goroutine): cudabench -hostcosts before and after; the GPU tests of
#   ./cuda and the store's on cuda; -storeprof before and after; the
#   single-query row scan's tunings on the H200 (-rowsweep); embench's
#   1M-row store beside plain PyTorch.
# Logs in $OUT.
. "$(dirname "$0")/lib.sh"
unpack18() {
	mkdir -p $G
	for f in .gpu/*.gz; do
		b=$G/$(basename "$f" .gz)
		gunzip -c "$f" >"$b" && chmod +x "$b"
	done
}
case "$1" in
A)
	unpack18
	gpuinfo
	for v in base new; do
		b=$G/cudabench; [ $v = base ] && b=$G/cudabench.base
		echo "== hostcosts $v ($((SECONDS - T0)) s)"
		lim 60 $b -hostcosts -reps 200 2>&1 | tee "$OUT/hostcosts_$v.log" | grep host
	done
	echo "== go test ./cuda ($((SECONDS - T0)) s)"
	gpu_tests cuda 150 "TestBackend|TestSearchLargeK|TestMemory|TestCloseThenUse|TestWarmCompiles|TestLargeWrite"
	echo "== store on cuda ($((SECONDS - T0)) s)"
	gpu_tests store 100 'TestSearchExact|TestLargeBatch|TestFilteredSearchShares' SILICA_STORE_BACKENDS=cuda
	for v in base new; do
		b=$G/cudabench; [ $v = base ] && b=$G/cudabench.base
		echo "== storeprof fp16 $v ($((SECONDS - T0)) s)"
		lim 90 $b -storeprof fp16,1000000 -reps 20 -storesearch "1:100;64:100;8:1000" 2>&1 | tee "$OUT/storeprof_$v.log" | grep -E '^store search'
	done
	echo "== rowsweep ($((SECONDS - T0)) s)"
	lim 100 $G/cudabench -anyk -reps 15 -only "any-k fp32, 1 queries, k=100|any-k fp16, 1 queries, k=100" \
		-rowsweep "${ROWSWEEP:-1,3;1,6;2,2;2,3;2,4;3,2;4,2;3,3}" 2>&1 | tee "$OUT/rowsweep.log" | grep -E '^any-k' | cut -c1-120
	store1m_rest 560
	;;
*)
	echo "usage: run18.sh A" >&2
	exit 2
	;;
esac
echo "done in $((SECONDS - T0)) s"
