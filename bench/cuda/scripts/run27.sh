#!/usr/bin/env bash
# bench/cuda/scripts/run27.sh PHASE: the 2026-12-06 (seventh) session's
# GPU work. Build here first (CGO_ENABLED=0, xz-packed into .gpu), carry
# .gpu.
#
# A: the tests on a GPU (the read-ahead's, with the lock taken out of
#   cuda_broken.test (built from d1fefc8), the writes', and the store's
#   on cuda); where a 1M-row add's time goes (bench/cuda/addprobe, a
#   throwaway probe: flatten, upload, map costs, store.New + Append and
#   AddFlat with a CPU profile), after and before (addprobe_old, d1fefc8),
#   and PyTorch's add of the same rows in the same call.
# B: the final binaries: the GPU tests of the writes and the read-ahead
#   (TestReadAheadWaitsForViews again, failing with the lock taken out),
#   embench's 1M-row store beside plain PyTorch with the add (store1m,
#   k = 100), then the grid at the k of KS (1, 64 and 1024 queries), then
#   exactcheck with what is left. Run as END=360 KS=4096 (results/run27b_*).
# C: the grid at k = 1000 and 10 (results/run27c_*), on B's machine.
# D: every GPU test of ./cuda (results/run27d_*), on B's machine.
. "$(dirname "$0")/lib.sh"
# torch_add: PyTorch's add of 1M x 768 float32 rows from a NumPy array
# (pageable, as embench's peer; and pinned), normalized, in float32 and
# float16, three times each.
torch_add() {
	"$SILICA_PYTHON" - <<'PY'
import time, numpy as np, torch
x = np.random.default_rng(1).standard_normal((1000000, 768), dtype=np.float32)
for name, dt in (("float32", torch.float32), ("float16", torch.float16)):
    for pin in (False, True):
        src = torch.from_numpy(x)
        if pin:
            src = src.pin_memory()
        for rep in range(3):
            torch.cuda.synchronize()
            t = time.perf_counter()
            y = torch.nn.functional.normalize(src.to("cuda"), dim=1).to(dt)
            torch.cuda.synchronize()
            print(f"torch add {name} pinned={pin} rep {rep}: {(time.perf_counter()-t)*1e3:.1f} ms", flush=True)
            del y
PY
}
case "$1" in
A)
	unpack
	gpuinfo
	gpu_tests cuda 90 'TestReadAhead|TestTraceDriver|TestWriteRows|TestLargeWrite'
	for v in "" _old; do
		echo "== addprobe$v ($((SECONDS - T0)) s)"
		lim 100 $G/addprobe$v "$OUT/add$v.prof" 2>&1 | tee "$OUT/addprobe$v.log"
	done
	echo "== torch add ($((SECONDS - T0)) s)"
	lim 90 bash -c "$(declare -f torch_add); torch_add" 2>&1 | tee "$OUT/torchadd.log"
	echo "== with the read-ahead's lock taken out (cuda_broken.test), TestReadAheadWaitsForViews must fail:"
	(cd cuda && timeout -k 5 60 $G/cuda_broken.test -test.v -test.run 'TestReadAheadWaitsForViews|TestReadAheadConcurrent' 2>&1 | grep -E -- '^(--- |ok|FAIL)|finished|differs')
	echo "== store on cuda ($((SECONDS - T0)) s)"
	store_cuda $((560 - (SECONDS - T0)))
	;;
B)
	unpack
	gpuinfo
	gpu_tests cuda 60 'TestReadAhead|TestWriteRows|TestLargeWrite'
	echo "== with the read-ahead's lock taken out (cuda_broken.test), TestReadAheadWaitsForViews must fail:"
	(cd cuda && timeout -k 5 60 $G/cuda_broken.test -test.v -test.run 'TestReadAheadWaitsForViews' 2>&1 | grep -E -- '^(--- |ok|FAIL)|finished|differs|driver calls')
	store1m 200 --batches 1,64,1024 --scenario store_add,store_search_1,store_search_64,store_search_1024
	BATCHES='1 64 1024' store_at_k $((${END:-540} - 40)) ${KS:-4096 1000 10}
	rm -f "$OUT"/*.json
	exact64 ${END:-540} 27
	;;
C)
	unpack
	BATCHES='1 64 1024' store_at_k 270 1000 10
	rm -f "$OUT"/*.json
	;;
D)
	unpack
	gpu_tests cuda 200 '.'
	;;
*)
	echo "usage: run27.sh A|B|C|D" >&2
	exit 2
	;;
esac
