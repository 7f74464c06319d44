#!/usr/bin/env bash
# cuda/scripts/final.sh: everything this repository checks and measures on
# the GPU machine, in one device call (carry [".gpu"]), after building here:
#
#   F='-ldflags=-s -w'; export CGO_ENABLED=0
#   go test -c "$F" -o .gpu/cuda.test ./cuda
#   go build "$F" -o .gpu/cudabench ./cuda/cmd/cudabench
#   go test -c "$F" -o .gpu/torchcompat.test ./torchcompat
#   go test -c "$F" -o .gpu/store.test ./store
#   go test -c "$F" -o .gpu/hamming.test ./examples/hamming
#   go build "$F" -o .gpu/embench ./cmd/embench
#   cp ../shared/anchors/torch_cuda.py .gpu/
#
# 1. cuda/scripts/device.sh: the CUDA backend's tests (default scan and
#    SILICA_CUDA_SCAN=v4), torch_cuda.py, cudabench (v3 and v4).
# 2. The torch adapter's tests on CUDA with the PyTorch there.
# 3. The store on every backend that opens (cuda, torch:cuda) and the
#    hamming example's CUDA kernel through kerneltest.
# 4. embench: the seed's table and the 1M-row store on cuda and torch:cuda
#    (with the v4 scan when step 1's v4 tests passed).
set -o pipefail
# The device tool brings back at most 8 files: everything goes under
# $OUT/work, packed into $OUT/results.tgz at the end, with the tables
# copied beside it.
RESULTS="${OUT:-$(mktemp -d)}"
export OUT="$RESULTS/work"
mkdir -p "$OUT"
pack() {
	tar czf "$RESULTS/results.tgz" -C "$RESULTS" work 2>/dev/null
	for f in device.log h100_seed.md h100_store.md; do
		[ -s "$OUT/$f" ] && cp "$OUT/$f" "$RESULTS/"
	done
	rm -rf "$OUT"
}
trap pack EXIT
G="$PWD/.gpu"
T0=$SECONDS
export SILICA_PYTHON=/opt/torch/.venv/bin/python3 SILICA_TORCH_PYTHON=/opt/torch/.venv/bin/python3
export SILICA_CUDA_CACHE=/tmp/silica-cuda-cache
bash cuda/scripts/device.sh 2>&1 | tee "$OUT/device.log" | tail -n 40

lim() { timeout --kill-after=5 "$@"; }
echo "== torchcompat on cuda ($((SECONDS - T0)) s)"
(cd torchcompat && SILICA_TORCH_DEVICE=cuda lim 80 "$G/torchcompat.test" -test.v -test.run 'TestBackend|TestCompat|TestRegistry' >"$OUT/torchcompat.log" 2>&1; echo "rc $?")
grep -E '^(--- FAIL|--- PASS: Test|PASS|FAIL|ok)' "$OUT/torchcompat.log" | head -n 12
grep -m1 "Name:" "$OUT/torchcompat.log"

echo "== store on every backend, hamming on cuda ($((SECONDS - T0)) s)"
(cd store && lim 60 "$G/store.test" -test.v -test.run 'TestOpensOnEveryBackend' >"$OUT/store.log" 2>&1; echo "store rc $?")
grep -E -- '--- (PASS|FAIL|SKIP)' "$OUT/store.log" | head -n 8
(cd examples/hamming && lim 40 "$G/hamming.test" -test.v -test.run 'TestKernels' >"$OUT/hamming.log" 2>&1; echo "hamming rc $?")
echo "hamming cuda subtests: $(grep -c -- '--- PASS.*/cuda' "$OUT/hamming.log") pass, $(grep -c -- '--- FAIL' "$OUT/hamming.log") fail, $(grep -c -- '--- SKIP.*/cuda' "$OUT/hamming.log") skip"

if grep -qE '^== b_tests_v4: rc 0, [1-9][0-9]* pass 0 fail' "$OUT/device.log"; then
	export SILICA_CUDA_SCAN=v4
fi
echo "== embench (SILICA_CUDA_SCAN=${SILICA_CUDA_SCAN:-default}) ($((SECONDS - T0)) s)"
lim 60 "$G/embench" --scenario seed --backend cuda,torch:cuda --peers numpy --json "$OUT/h100_seed.json" >"$OUT/h100_seed.md" 2>"$OUT/h100_seed.err"
echo "seed rc $?"
left=$((570 - (SECONDS - T0)))
lim $((left > 30 ? left : 30)) "$G/embench" --scenario store --backend cuda,torch:cuda --peers none --docs 1000000 \
	--json "$OUT/h100_store.json" >"$OUT/h100_store.md" 2>"$OUT/h100_store.err"
echo "store rc $? ($((SECONDS - T0)) s)"
grep -E '^\|' "$OUT/h100_seed.md" | head -n 30
grep -E '^\|' "$OUT/h100_store.md" | head -n 40
