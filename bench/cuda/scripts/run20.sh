#!/usr/bin/env bash
# bench/cuda/scripts/run20.sh PHASE: the 2026-12-05 evening session's GPU
# work. Build here first (CGO_ENABLED=0, xz-packed into .gpu: cuda.test,
# cudabench; see run15.sh's header), carry .gpu.
#
# A (also cudabench.base: the commit before the store's read-back
#   buffers, engine's AppendFloat32/AppendInt64): the driver trace's GPU
#   test, then cudabench -storeprof over 1M float16 rows, base then new,
#   with each search's driver calls in order (cuda.TraceDriver): where
#   the wall time of a search goes outside its kernels; then float32
#   with the new binary.
# B: the store's collect (see the phase), each binary twice.
# C: small writes queued on the stream (see the phase).
# D: the GPU tests of ./cuda and the store's on cuda, at 6ee9004 (not run:
#   the session's device time ran out; for the next one).
# B's .two and C's queued writes were measured and not committed
# (bench/cuda/NOTES.md, run 20, says what they were); the phases name
# the binaries as they ran.
. "$(dirname "$0")/lib.sh"
case "$1" in
A)
	unpack
	gpuinfo
	gpu_tests cuda 60 "TestTraceDriver"
	for b in cudabench.base cudabench; do
		echo "== $b -storeprof fp16,1000000 ($((SECONDS - T0)) s)"
		lim 150 $G/$b -storeprof fp16,1000000 -reps 30 -storesearch "8:4096;8:1000;64:100;1:100" 2>&1 |
			tee "$OUT/storeprof_fp16_$b.log" | grep -E '^store|host between'
	done
	echo "== cudabench -storeprof fp32,1000000 ($((SECONDS - T0)) s)"
	lim 120 $G/cudabench -storeprof fp32,1000000 -reps 30 -storesearch "8:4096;64:100" 2>&1 |
		tee "$OUT/storeprof_fp32.log" | grep -E '^store'
	;;
B)
	# The host's part of a store search on 16 cores: cudabench.base
	# (60e7673), .two (the store's collect: a hit counted as 24 values of
	# work, not 8, so more goroutines, and the hits' ids gathered in a
	# loop of their own first), cudabench (also small writes queued on
	# the stream from pinned slots), then again in reverse order; then
	# the GPU tests of the write paths and the driver trace.
	unpack
	gpuinfo
	for b in cudabench.base cudabench.two cudabench cudabench cudabench.two cudabench.base; do
		echo "== $b -storeprof fp16,1000000 ($((SECONDS - T0)) s)"
		lim 150 $G/$b -storeprof fp16,1000000 -reps 100 -storesearch "8:4096;8:1000;64:100;1:100" 2>&1 |
			tee -a "$OUT/storeprof_$b.log" | grep -E '^store search|end$'
	done
	gpu_tests cuda 120 "TestTraceDriver|TestQueuedWrites|TestLargeWrite|TestUploadsInStreamOrder|TestBackend"
	;;
C)
	# Small writes queued on the stream from pinned slots: the GPU tests
	# of the write paths (TestLargeWrite failed in B: writeStaged's loop
	# had taken copies of its slots), then cudabench.base (60e7673) and
	# cudabench (queued writes), base, new, new, base.
	unpack
	gpuinfo
	gpu_tests cuda 120 "TestTraceDriver|TestQueuedWrites|TestLargeWrite|TestUploadsInStreamOrder|TestBackend|TestSearchLargeK"
	for b in cudabench.base cudabench cudabench cudabench.base; do
		echo "== $b -storeprof fp16,1000000 ($((SECONDS - T0)) s)"
		lim 150 $G/$b -storeprof fp16,1000000 -reps 100 -storesearch "8:4096;8:1000;64:100;1:100" 2>&1 |
			tee -a "$OUT/storeprof_$b.log" | grep -E '^store search|cuMemcpyHtoD|rror'
	done
	;;
D)
	# The committed code (6ee9004) on the GPU: the tests of ./cuda, then
	# the store's on cuda (its search reads into pooled buffers now).
	unpack
	gpuinfo
	gpu_checks 90 "TestTraceDriver|TestLargeWrite|TestUploadsInStreamOrder|TestBackend|TestSearchLargeK" 120 "."
	;;
*)
	echo "usage: run20.sh A|B|C|D" >&2
	exit 2
	;;
esac
