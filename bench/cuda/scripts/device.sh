#!/usr/bin/env bash
# cuda/scripts/device.sh: one call on the GPU machine that checks and times
# the CUDA backend, the default tensor-core scan (v3) beside v4
# (SILICA_CUDA_SCAN=v4), against PyTorch on the same card.
#
# Run from the repository root with carry [".gpu"], after building here
# (no GPU needed; see cuda/NOTES.md, "How the runs are made"):
#
#   CGO_ENABLED=0 go test -c -o .gpu/cuda.test ./cuda
#   CGO_ENABLED=0 go build -o .gpu/cudabench ./cuda/cmd/cudabench
#   cp ../shared/anchors/torch_cuda.py .gpu/
#
#   bash cuda/scripts/device.sh
#
# Steps, each under its own time limit (5 minutes in all at most, about
# 3.5 expected),
# logs in $OUT/<step>.log:
#   a_tests    the shared backend suite and the search tests, default scan
#   b_tests_v4 the search tests with SILICA_CUDA_SCAN=v4 (every timed tiling)
#   c_torch    python3 torch_cuda.py (writes $OUT/anchor_torch.json)
#   d_bench    cudabench, every row, default scan ($OUT/bench_v3.json)
#   e_bench_v4 cudabench, the search rows: v3, v4 and v4's other tilings in
#              one process, ids checked against v3 ($OUT/bench_v4.json)
# and last a short table: each step's status, then the searches side by
# side. A step that fails or times out does not stop the next.
set -o pipefail
OUT="${OUT:-$(mktemp -d)}"
G="$PWD/.gpu"
for f in cuda.test cudabench torch_cuda.py; do
	if [ ! -e "$G/$f" ]; then
		echo "device.sh: missing $G/$f: build it first (see the top of this script)" >&2
		exit 2
	fi
done
mkdir -p "$OUT"
# Compiled kernels shared by the steps (tests and benchmarks use the same
# variants), outside $OUT so that they do not travel back.
export SILICA_CUDA_CACHE="${TMPDIR:-/tmp}/silica-cuda-cache"
{ nvidia-smi --query-gpu=name,driver_version,clocks.sm,clocks.mem,temperature.gpu,power.draw --format=csv; } >"$OUT/gpu.txt" 2>&1

status=()
step() { # step NAME SECONDS COMMAND...: run with a time limit, log, report
	local name=$1 limit=$2 t0=$SECONDS rc
	shift 2
	timeout --kill-after=5 "$limit" "$@" >"$OUT/$name.log" 2>&1
	rc=$?
	local what="rc $rc"
	if grep -q -- '^=== RUN' "$OUT/$name.log"; then # go test -v: count the (sub)tests
		what="$what, $(grep -c -- '--- PASS' "$OUT/$name.log") pass $(grep -c -- '--- FAIL' "$OUT/$name.log") fail $(grep -c -- '--- SKIP' "$OUT/$name.log") skip"
	fi
	[ "$rc" = 124 ] || [ "$rc" = 137 ] && what="TIMED OUT after ${limit}s"
	status+=("$(printf '%-11s %-40s %4ds' "$name" "$what" $((SECONDS - t0)))")
	echo "== $name: $what ($((SECONDS - t0)) s)"
	grep -E '^(--- FAIL|FAIL|PASS|ok )' "$OUT/$name.log" | head -n 20
}

cd cuda || exit 2 # the test binary runs in its package's folder
step a_tests 80 "$G/cuda.test" -test.v -test.timeout 75s \
	-test.run 'TestBackend|TestSearchRegimes|TestSearchRefine|TestMemory|TestClose|TestOpen'
step b_tests_v4 80 env SILICA_CUDA_SCAN=v4 "$G/cuda.test" -test.v -test.timeout 75s -test.run 'TestSearch'
cd ..
step c_torch 50 env OUT="$OUT" python3 "$G/torch_cuda.py"
step d_bench 40 "$G/cudabench" -scan v3 -reps 15 -torch "$OUT/anchor_torch.json" -out "$OUT/bench_v3.json"
step e_bench_v4 50 "$G/cudabench" -scan both -only top-100 -reps 15 -profile \
	-torch "$OUT/anchor_torch.json" -out "$OUT/bench_v4.json"

echo
echo "== device"
cat "$OUT/gpu.txt"
echo "== steps"
printf '%s\n' "${status[@]}"
grep -h -E '^--- FAIL' "$OUT"/a_tests.log "$OUT"/b_tests_v4.log | head -n 10
echo "== searches (v3 = default scan; torch from the same card, same call)"
if [ -s "$OUT/bench_v4.json" ]; then
	"$G/cudabench" -table "$OUT/bench_v4.json"
elif [ -s "$OUT/bench_v3.json" ]; then
	"$G/cudabench" -table "$OUT/bench_v3.json"
fi
