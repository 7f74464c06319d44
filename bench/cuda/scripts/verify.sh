#!/usr/bin/env bash
# bench/cuda/scripts/verify.sh: the closing check on the GPU machine, one device
# call (carry [".gpu"]), after building here:
#
#   F='-ldflags=-s -w'; export CGO_ENABLED=0
#   go test -c "$F" -o .gpu/cuda.test ./cuda
#   go build "$F" -o .gpu/cudabench ./cmd/cudabench
#   go build "$F" -o .gpu/embench ./cmd/embench
#   cp ../shared/anchors/torch_cuda.py .gpu/
#
# 1. go test ./cuda as the package's test binary: every test, in the
#    package folder.
# 2. torch_cuda.py, then cudabench's search rows with the v5 scan and the
#    tilings of $V5SWEEP (default: cudabench's own list) beside it.
# 3. embench on cuda and torch:cuda: the seed table, then the 1M-row
#    store (printed partially if the call's time runs out).
# Logs and tables in $OUT.
set -o pipefail
G="$PWD/.gpu"
T0=$SECONDS
OUT="${OUT:-$(mktemp -d)}"
export SILICA_CUDA_CACHE=/tmp/silica-cuda-cache
export SILICA_PYTHON=/opt/torch/.venv/bin/python3 SILICA_TORCH_PYTHON=/opt/torch/.venv/bin/python3
lim() { timeout -k 5 "$@"; }
nvidia-smi --query-gpu=name,driver_version,clocks.sm,clocks.mem,temperature.gpu --format=csv >"$OUT/gpu.txt" 2>&1
echo "== go test ./cuda ($((SECONDS - T0)) s)"
(cd cuda && lim 300 "$G/cuda.test" -test.v -test.timeout 295s >"$OUT/cuda_tests.log" 2>&1; echo "rc $?" | tee -a "$OUT/cuda_tests.log")
grep -E -- '^(--- |PASS|FAIL|ok|panic)' "$OUT/cuda_tests.log" | head -30
echo "subtests: $(grep -c -- '--- PASS' "$OUT/cuda_tests.log") pass, $(grep -c -- '--- FAIL' "$OUT/cuda_tests.log") fail, $(grep -c -- '--- SKIP' "$OUT/cuda_tests.log") skip"
echo "== torch, cudabench ($((SECONDS - T0)) s)"
lim 40 env OUT="$OUT" python3 "$G/torch_cuda.py" >"$OUT/torch.log" 2>&1
echo "torch rc $?"
lim 150 "$G/cudabench" -scan v5 -only top-100 -reps 15 -profile ${V5SWEEP+-v5sweep "$V5SWEEP"} \
	-torch "$OUT/anchor_torch.json" -out "$OUT/bench.json" >"$OUT/bench.log" 2>&1
echo "cudabench rc $?"
grep -E '^top-100' "$OUT/bench.log"
echo "== embench seed ($((SECONDS - T0)) s)"
lim 70 "$G/embench" --scenario seed --backend cuda,torch:cuda --peers numpy --json "$OUT/h100_seed.json" >"$OUT/h100_seed.md" 2>"$OUT/h100_seed.err"
echo "seed rc $?"
left=$((560 - (SECONDS - T0)))
echo "== embench store, 1M rows ($((SECONDS - T0)) s, $left s left)"
lim -s INT $((left > 30 ? left : 30)) "$G/embench" --scenario store --backend cuda,torch:cuda --peers none --docs 1000000 \
	--json "$OUT/h100_store.json" >"$OUT/h100_store.md" 2>"$OUT/h100_store.err"
echo "store rc $? ($((SECONDS - T0)) s)"
grep -E '^\|' "$OUT/h100_store.md" | head -n 40
