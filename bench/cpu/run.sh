#!/usr/bin/env bash
# The CPU measurements behind the README's development-machine tables and
# bench/cpu/NOTES.md, on an idle machine (the scan's two workers need
# both cores: another busy process halves them). Needs the environment of
# .ci/setup.sh (SILICA_PYTHON for the NumPy and FAISS peers, the torch and
# MLX libraries). Writes bench/cpu/results/NAME.*; prints what it runs.
#   bash bench/cpu/run.sh NAME [kernels] [store] [batch] [grid] [default] [exact]
set -euo pipefail
cd "$(dirname "$0")/../.."
name=$1
shift
out=bench/cpu/results/$name
mkdir -p "$(dirname "$out")"
go build -o /tmp/silica-embench ./cmd/embench
go build -o /tmp/silica-exactcheck ./cmd/exactcheck
for part in "${@:-kernels store default exact}"; do
	for p in $part; do
		echo "== $p: $(date -u +%FT%TZ), load $(cut -d' ' -f1-3 /proc/loadavg), commit $(git rev-parse --short HEAD)"
		case $p in
		kernels) # the scan kernels against each other and the memory read speed
			go test -run '^$' -bench '^(BenchmarkScan|BenchmarkScanBatch|BenchmarkScanBatch1024|BenchmarkAMXDots)$' \
				-benchtime 10x ./cpu | tee "$out.kernels.txt" ;;
		store) # the store over 100K x 768 beside NumPy and FAISS
			/tmp/silica-embench --backend cpu --peers numpy,faiss --scenario store --docs 100000 \
				--dtypes float32,float16 | tee "$out.store.md" ;;
		batch) # issue 15's CPU grid: 1, 64 and 1024 queries over 10K and 100K x 768 beside NumPy and FAISS
			/tmp/silica-embench --backend cpu --peers numpy,faiss --docs 10000 --dtypes float32,float16 --large-k none --time 1s \
				--scenario store_search_1,store_search_64,store_search_1024 --json "$out.store10k.json" | tee "$out.store10k.md"
			/tmp/silica-embench --backend cpu --peers numpy,faiss --docs 100000 --dtypes float32 --large-k none --time 1s \
				--scenario store_search_1,store_search_64,store_search_1024 --json "$out.store100k.json" | tee "$out.store100k.md" ;;
		grid) # 1, 64 and 1024 queries at k = 10, 100, 1000 and 4096 over 10K x 768 in one run, beside NumPy and FAISS
			/tmp/silica-embench --backend cpu --peers numpy,faiss --docs 10000 --dtypes float32,float16 --time 0.5s \
				--batches 1,64,1024 --k 10 --large-k 100,1000,4096 --large-k-batches 1,64,1024 \
				--scenario store_search_1,store_search_64,store_search_1024,store_search_1_k100,store_search_64_k100,store_search_1024_k100,store_search_1_k1000,store_search_64_k1000,store_search_1024_k1000,store_search_1_k4096,store_search_64_k4096,store_search_1024_k4096 \
				--json "$out.grid10k.json" | tee "$out.grid10k.md" ;;
		default) # the README's first command
			/tmp/silica-embench | tee "$out.default.md" ;;
		exact) # exactness against float64: random int64 ids, deletes, upserts, k up to 4096
			/tmp/silica-exactcheck -backend cpu -queries 40 | tee "$out.exactcheck.txt" ;;
		esac
	done
done
