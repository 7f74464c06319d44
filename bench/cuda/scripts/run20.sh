#!/usr/bin/env bash
# bench/cuda/scripts/run20.sh PHASE: the 2026-12-05 evening session's GPU
# work. Build here first (CGO_ENABLED=0, xz-packed into .gpu: cuda.test,
# cudabench; see run15.sh's header), carry .gpu.
#
# A: the driver trace's GPU test, then cudabench -storeprof over 1M
#   float16 and float32 rows with each search's driver calls in order
#   (cuda.TraceDriver): where the wall time of a search goes outside
#   its kernels.
. "$(dirname "$0")/lib.sh"
case "$1" in
A)
	unpack
	gpuinfo
	gpu_tests cuda 60 "TestTraceDriver"
	storeprof "8:4096;8:1000;64:100;1:100"
	;;
*)
	echo "usage: run20.sh A" >&2
	exit 2
	;;
esac
