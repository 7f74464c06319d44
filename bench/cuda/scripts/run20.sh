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
*)
	echo "usage: run20.sh A" >&2
	exit 2
	;;
esac
