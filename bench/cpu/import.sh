#!/usr/bin/env bash
# Times `silica import` of 1M x 768 float32 rows from a .npy file beside
# what a NumPy or FAISS user writes instead (load, normalize, save or
# write_index, fsync), each a fresh process, with its wall time and its
# peak anonymous and file-backed resident memory (sampled every 50 ms).
#
#	bash bench/cpu/import.sh [N] [ROUNDS]
#
# It needs the environment of .ci/setup.sh (SILICA_PYTHON with numpy and
# faiss) and about 10 GB of free disk under ${TMPDIR:-/tmp}.
set -euo pipefail
cd "$(dirname "$0")/../.."
n=${1:-1000000}
rounds=${2:-2}
tmp=${TMPDIR:-/tmp}/silica-import-bench
mkdir -p "$tmp"
py=${SILICA_PYTHON:-python3}
go build -o "$tmp/silica" ./cmd/silica
[ -f "$tmp/x$n.npy" ] || "$py" -c "
import numpy as np
np.save('$tmp/x$n.npy', np.random.default_rng(1).standard_normal(($n, 768), dtype=np.float32))"
# peak runs "$@", printing its wall time and peak RssAnon and RssFile.
peak() {
	local start pid pa=0 pf=0 a f
	start=$(date +%s.%N)
	"$@" >/dev/null &
	pid=$!
	while kill -0 "$pid" 2>/dev/null; do
		a=$(awk '/RssAnon/{print $2}' "/proc/$pid/status" 2>/dev/null || true)
		f=$(awk '/RssFile/{print $2}' "/proc/$pid/status" 2>/dev/null || true)
		[ -n "$a" ] && [ "$a" -gt "$pa" ] && pa=$a
		[ -n "$f" ] && [ "$f" -gt "$pf" ] && pf=$f
		sleep 0.05
	done
	wait "$pid"
	echo "$(echo "$(date +%s.%N) - $start" | bc | cut -c1-6) s, peak anonymous $((pa / 1024)) MiB, file-backed $((pf / 1024)) MiB"
}
cat >"$tmp/peer.py" <<PY
import os, sys, numpy as np
def fsync(p):
    fd = os.open(p, os.O_RDONLY); os.fsync(fd); os.close(fd)
x = np.load('$tmp/x$n.npy')
if sys.argv[1] == 'numpy':
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    np.save('$tmp/peer.npy', x); fsync('$tmp/peer.npy')
else:
    import faiss
    faiss.normalize_L2(x)
    idx = faiss.IndexFlatIP(x.shape[1]); idx.add(x)
    faiss.write_index(idx, '$tmp/peer.faiss'); fsync('$tmp/peer.faiss')
PY
echo "import of $n x 768 float32 rows, cosine; commit $(git rev-parse --short HEAD), $(date -u +%FT%TZ), load $(cut -d' ' -f1-3 /proc/loadavg)"
for r in $(seq "$rounds"); do
	rm -rf "$tmp/store"
	echo "silica import: $(peak "$tmp/silica" import --store "$tmp/store" --in "$tmp/x$n.npy")"
	echo "numpy (load, normalize, save): $(peak "$py" "$tmp/peer.py" numpy)"
	echo "faiss (load, normalize_L2, IndexFlatIP.add, write_index): $(peak "$py" "$tmp/peer.py" faiss)"
	rm -f "$tmp/peer.npy" "$tmp/peer.faiss"
done
rm -rf "$tmp/store"
