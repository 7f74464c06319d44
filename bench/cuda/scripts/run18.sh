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
# B (matmul_skinny: the scores of a few queries over 16-bit rows): the
#   GPU tests of ./cuda and the store's on cuda; cudabench -anyk over
#   float16 rows, the default beside [wide] (matmul_mma's tiles) and
#   [tiled] (CUDA cores) in the same process; cmd/exactcheck on float16
#   rows, 8 and 40 queries; -storeprof with a Go CPU profile of the host's
#   part (cudabench built unstripped for it); embench's 1M-row store
#   beside plain PyTorch.
# C (the final code): the GPU tests of ./cuda (TestSearchLargeK's new
#   cases: 20 queries through matmul_skinny's 4 blocks, 70 through
#   matmul_mma); cudabench -anyk's select modes where the default might
#   change (one query, float32 and float16; 64 float16 queries at k=100)
#   and the tunings of the scores kernel for 8 float32 queries.
# D (a single query scores and selects, scoreSelect, instead of the fused
#   row scan): TestSearchRegimes and the shared suite on the GPU, then
#   embench's 1M-row single-query search beside plain PyTorch.
# Logs in $OUT.
. "$(dirname "$0")/lib.sh"
case "$1" in
A)
	unpack
	gpuinfo
	for v in base new; do
		b=$G/cudabench; [ $v = base ] && b=$G/cudabench.base
		echo "== hostcosts $v ($((SECONDS - T0)) s)"
		lim 60 $b -hostcosts -reps 200 2>&1 | tee "$OUT/hostcosts_$v.log" | grep host
	done
	gpu_checks 150 "TestBackend|TestSearchLargeK|TestMemory|TestCloseThenUse|TestWarmCompiles|TestLargeWrite" \
		100 'TestSearchExact|TestLargeBatch|TestFilteredSearchShares'
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
B)
	unpack
	gpu_checks 150 "TestBackend|TestSearchLargeK|TestSearchRegimes|TestMemory|TestWarmCompiles" \
		100 'TestSearchExact|TestLargeBatch|TestFilteredSearchShares'
	echo "== cudabench -anyk ($((SECONDS - T0)) s)"
	lim 120 $G/cudabench -anyk -reps 10 -only "${ONLY:-any-k fp16, 1 queries, k=1000|any-k fp16, 8 queries|any-k fp16, 64 queries, k=4096}" \
		2>&1 | tee "$OUT/anyk.log" | grep -E '^any-k' | cut -c1-130
	for qn in 8 40; do
		echo "== exactcheck f16, $qn queries ($((SECONDS - T0)) s)"
		lim 100 $G/exactcheck -backend cuda -dtypes f16 -queries $qn -seed 18 >"$OUT/exactcheck_$qn.log" 2>&1
		grep -E "violation" "$OUT/exactcheck_$qn.log" | grep -v ": 0 violations" | head -4
		tail -1 "$OUT/exactcheck_$qn.log"
	done
	echo "== storeprof with a CPU profile ($((SECONDS - T0)) s)"
	lim 90 $G/cudabench -storeprof fp16,1000000 -reps 200 -storesearch "64:100;8:4096" -cpuprofile "$OUT/host.prof" 2>&1 |
		tee "$OUT/storeprof.log" | grep -E '^store search'
	store1m_rest 560
	;;
C)
	unpack
	echo "== go test ./cuda ($((SECONDS - T0)) s)"
	gpu_tests cuda 200 "TestBackend|TestSearchLargeK|TestSearchRegimes|TestMemory"
	echo "== cudabench -anyk ($((SECONDS - T0)) s)"
	lim 200 $G/cudabench -anyk -reps 15 -only "any-k fp32, 1 queries, k=100|any-k fp16, 1 queries, k=100|any-k fp16, 64 queries, k=100|any-k fp32, 8 queries, k=1000" \
		-scoressweep "${SCORESSWEEP:-1,2;1,3;2,2;2,3;4,2}" 2>&1 | tee "$OUT/anyk.log" | grep -E '^any-k' | cut -c1-130
	;;
D)
	unpack
	echo "== go test ./cuda ($((SECONDS - T0)) s)"
	gpu_tests cuda 150 "TestSearchRegimes|TestBackend"
	lim 100 $G/embench --docs 1000000 --backend cuda --peers torch --time 0.3s --scenario store_search_1 \
		--json "$OUT/store.json" >"$OUT/store.md" 2>"$OUT/store.err"
	echo "store rc $? ($((SECONDS - T0)) s)"
	grep -E '^\|' "$OUT/store.md" | head -12
	;;
*)
	echo "usage: run18.sh A|B|C|D" >&2
	exit 2
	;;
esac
echo "done in $((SECONDS - T0)) s"
