#!/usr/bin/env bash
# embench in CI: every scenario at small sizes (--quick), on every engine
# backend that opens here and both Python peers (NumPy and FAISS, installed
# by setup.d/40-embench.sh), then a check of the JSON report: the schema,
# every answer verified and timed, and present: the CPU backend, the torch
# and MLX adapters on the CPU (setup.d/20-mlx.sh, 21-libtorch.sh), the NumPy
# and FAISS peers (the torch peer needs PyTorch in that Python, which CI
# does not install: it is listed as unavailable), every store row on the
# CPU backend, the large-k rows among them, each search with its
# kernel-only time; the encode scenarios (200 fortunes) on the CPU backend,
# sentence-transformers and ONNX Runtime (setup.d/35, 40), with their
# documents/s.
# embench itself exits non-zero when a case is wrong or failed.
set -euo pipefail
cd "$(dirname "$0")/../.."
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
go run ./cmd/embench --quick --json "$out/embench.json" --csv "$out/embench.csv" --plot "$out/embench.svg"
"${SILICA_PYTHON:-python3}" - "$out/embench.json" <<'PY'
import json
import sys

rep = json.load(open(sys.argv[1]))
problems = []
if rep.get("schema") != 1:
    problems.append("schema %r, want 1" % rep.get("schema"))
for key in ("os", "arch", "cpu", "cores", "go", "silica", "time"):
    if not rep["machine"].get(key):
        problems.append("machine.%s missing" % key)
names = {b["name"] for b in rep["backends"]} | {p["name"] for p in rep["peers"]}
for want in ("cpu", "torch:cpu", "mlx:cpu", "numpy", "faiss", "sentence-transformers", "onnxruntime"):
    if want not in names:
        problems.append("%s did not run (unavailable: %s)" % (want, rep["unavailable"]))
seed = ["matmul", "cosine", "cosine_prenorm", "normalize", "fma", "gather", "slice"]
if rep["config"].get("large_k") != [1000, 4096]:
    problems.append("large-k cases %r ran, want [1000, 4096] (left out: %r)" % (rep["config"].get("large_k"), rep["config"].get("large_k_left_out")))
store = ["store_add", "store_search_1"] + ["store_search_%d" % b for b in rep["config"]["batches"]]
store += ["store_search_8_k%d" % k for k in rep["config"].get("large_k") or []]
cpu = {(r["scenario"], r["dtype"]) for r in rep["results"] if r["backend"] == "cpu"}
for r in rep["results"]:
    if r["backend"] == "cpu" and r["scenario"].startswith("store_search_") and r["status"] == "ok" and not r.get("kernel_median_ms"):
        problems.append("cpu %s %s has no kernel-only time" % (r["scenario"], r["dtype"]))
for s in seed:
    if (s, "float32") not in cpu:
        problems.append("cpu has no %s result" % s)
for s in store:
    for dt in ("float32", "float16"):
        if (s, dt) not in cpu:
            problems.append("cpu has no %s %s result" % (s, dt))
for s in ("encode", "encode_store"):
    for who in ("cpu", "sentence-transformers", "onnxruntime"):
        rows = [r for r in rep["results"] if r["scenario"] == s and r["backend"] == who and r["dtype"] == "float32"]
        if not rows or not rows[0].get("docs_per_s"):
            problems.append("%s float32 on %s missing or without docs/s (unavailable: %s)" % (s, who, rep["unavailable"]))
binary = [r for r in rep["results"] if r["scenario"] == "binary_search_1"]
if not binary or any(r.get("recall_at_10") is None for r in binary):
    problems.append("binary_search_1 (package hamming) missing or without recall@10: %s" % binary)
core = ["scenario", "backend", "dtype", "size", "median_ms", "p99_ms", "ratio_to_best", "verified"]
best = {}
for r in rep["results"]:
    what = "%s %s %s on %s" % (r["scenario"], r["dtype"], r["size"], r["backend"])
    missing = [k for k in core if k not in r]
    if missing:
        problems.append("%s: no %s" % (what, missing))
        continue
    if not r["verified"] or r["status"] != "ok":
        problems.append("%s: %s: %s" % (what, r["status"], r.get("error")))
        continue
    if not (0 < r["median_ms"] <= r["p99_ms"]) or r["ratio_to_best"] < 1:
        problems.append("%s: median %s, p99 %s, ratio %s" % (what, r["median_ms"], r["p99_ms"], r["ratio_to_best"]))
    k = (r["scenario"], r["dtype"], r["size"])
    best[k] = min(best.get(k, 9e9), r["ratio_to_best"])
for k, v in best.items():
    if abs(v - 1) > 1e-9:
        problems.append("%s: the fastest has ratio %s, want 1" % (k, v))
if problems:
    print("embench report check failed:\n  " + "\n  ".join(problems))
    sys.exit(1)
print("embench report check: %d results, all verified and timed, on %s" % (len(rep["results"]), ", ".join(sorted(names))))
PY
