#!/usr/bin/env bash
# bench/cuda/scripts/run14.sh: any k, first use and the single query (issue
# 15), one device call (carry [".gpu"]), after building here:
#
#   F='-ldflags=-s -w'; export CGO_ENABLED=0
#   go test -c "$F" -o .gpu/cuda.test ./cuda
#   go build "$F" -o .gpu/cudabench ./cmd/cudabench
#
# (or into any folder, run14.sh beside them: G is the script's folder)
#
# 1. the GPU tests of ./cuda (TestBackend: the shared suite);
# 2. plain PyTorch (anyk_torch.py), then cudabench -anyk beside it;
# 3. first use: a fresh process's first and second search, cold cache,
#    cached, and cold with Engine.Warm first.
# Logs in $OUT; tables at the end of the output.
set -o pipefail
G="${G:-$(cd "$(dirname "$0")" && pwd)}"
T0=$SECONDS
OUT="${OUT:-$(mktemp -d)}"
lim() { timeout -k 5 "$@"; }
nvidia-smi --query-gpu=name,driver_version,clocks.sm,clocks.mem,temperature.gpu --format=csv >"$OUT/gpu.txt" 2>&1
export SILICA_CACHE_DIR=/tmp/sil-cache
# Kernels compiled ahead on the build machine (same NVRTC and driver
# versions, or they are simply not used), to spare the tests' NVRTC time.
if [ -d "$G/kcache" ]; then mkdir -p /tmp/sil-cache/cuda && cp "$G/kcache/"* /tmp/sil-cache/cuda/; fi
echo "== go test ./cuda ($((SECONDS - T0)) s)"
(cd cuda && lim ${TESTS_S:-170} "$G/cuda.test" -test.v -test.run "${TESTS:-TestBackend|TestSearchRegimes|TestSearchLargeK|TestSearchRefine|TestWarmCompiles|TestDiskCache|TestMemory|TestConfig}" >"$OUT/cuda_tests.log" 2>&1; echo "rc $?" | tee -a "$OUT/cuda_tests.log")
grep -E -- '^(--- FAIL|FAIL|ok|panic)|rc ' "$OUT/cuda_tests.log" | head -30
grep -E -- '^    --- FAIL' "$OUT/cuda_tests.log" | head -10
echo "tests: $(grep -c -- '--- PASS' "$OUT/cuda_tests.log") pass, $(grep -c -- '--- FAIL' "$OUT/cuda_tests.log") fail, $(grep -c -- '--- SKIP' "$OUT/cuda_tests.log") skip"
echo "== torch ($((SECONDS - T0)) s)"
lim ${TORCH_S:-75} env OUT="$OUT" PYTHONUNBUFFERED=1 /opt/torch/.venv/bin/python "$G/anyk_torch.py" >"$OUT/torch.log" 2>&1
echo "torch rc $?"
echo "== cudabench -anyk ($((SECONDS - T0)) s)"
lim ${BENCH_S:-110} "$G/cudabench" -anyk -reps ${REPS:-8} -rowsweep "${ROWSWEEP:-2,4;4,2;3,3}" ${ONLY:+-only "$ONLY"} \
	-torch "$OUT/anyk_torch.json" -out "$OUT/anyk.json" >"$OUT/anyk.log" 2>&1
echo "cudabench rc $?"
cat "$OUT/torch.log" | grep -v '^device' | awk '{print "torch: " $0}' | sed 's/ over 1Mx768//' | cut -c1-100
grep -E '^any-k' "$OUT/anyk.log" | cut -c1-150
echo "== first use ($((SECONDS - T0)) s)"
{
	for spec in ${FIRSTUSE:-fp16,1,100 fp32,64,1000}; do
		export SILICA_CACHE_DIR=/tmp/sil-cold-$spec
		lim 25 "$G/cudabench" -firstuse $spec | grep 'first use' | sed 's/^/cold cache: /'
		lim 25 "$G/cudabench" -firstuse $spec | grep 'first use' | sed 's/^/cached:     /'
		export SILICA_CACHE_DIR=/tmp/sil-warm-$spec
		lim 25 "$G/cudabench" -firstuse $spec -warm | grep 'first use' | sed 's/^/cold, warm: /'
	done
} 2>&1 | tee "$OUT/firstuse.log"
echo "done in $((SECONDS - T0)) s"
