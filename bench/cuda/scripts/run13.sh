#!/bin/bash
# Built here first (CGO_ENABLED=0): go test -c -o .gpu/cuda.test ./cuda; go build -o .gpu/cudabench ./cmd/cudabench;
# and the cudabench of 5ee412d (before the split): git worktree add /tmp/old 5ee412d && (cd /tmp/old && go build -o $OLDPWD/.gpu/cudabench_old ./cuda/cmd/cudabench).
# Run on the GPU machine from the repository root, carrying .gpu.
# One device call: the cuda tests after the scan split, then the top-100
# searches of the old (5ee412d) and new cudabench, interleaved.
cd cuda
timeout 230 ../.gpu/cuda.test -test.v -test.count=1 -test.run 'TestBackend|TestSearch|TestTF32Bound|TestMemory|TestClose|TestConfig' -test.timeout 225s > $OUT/cuda_tests.log 2>&1
echo "cuda.test exit $?"
grep -E '^(--- |PASS|FAIL|ok|panic)' $OUT/cuda_tests.log
cd ..
i=0
for b in cudabench_old cudabench cudabench_old cudabench; do
  i=$((i+1))
  timeout 75 .gpu/$b -scan v4,v5 -v4sweep "" -v5sweep "" -reps 10 -only "top-100 over 1Mx768" > $OUT/bench$i.$b.log 2>&1
  echo "== $i $b exit $?"
  grep -E "^top-100" $OUT/bench$i.$b.log | cut -c1-110
done
