"""anyk_torch.py: plain PyTorch beside `cudabench -anyk` on the same card.

For fp32 and fp16 rows (1M x 768, normalized on the GPU), 1, 8, 64 and 1024
queries, k = 100, 1000, 4096: the kernel-level time (queries already on the
GPU and normalized; q @ x.T then topk, CUDA events) and the end-to-end time
a user sees (host queries -> .cuda() -> normalize -> q @ x.T -> topk ->
.cpu(), wall clock), medians. Writes $OUT/anyk_torch.json in cudabench's
-torch format (rows of op and ms; the op names are cudabench's torch
names) and prints a table.
"""
import json
import os
import statistics
import time

import torch

REPS = int(os.environ.get("REPS", "8"))
out = os.environ.get("OUT", ".")
dev = torch.device("cuda")
rows = []
print("device:", torch.cuda.get_device_name(0), "torch", torch.__version__)
for dt, name in [(torch.float32, "fp32"), (torch.float16, "fp16")]:
    g = torch.Generator(device=dev).manual_seed(1)
    x = torch.randn(1_000_000, 768, device=dev, dtype=dt, generator=g)
    x = torch.nn.functional.normalize(x, dim=1)
    for bq in (1, 8, 64, 1024):
        qh = torch.randn(bq, 768, dtype=dt)
        q = torch.nn.functional.normalize(qh.to(dev), dim=1)
        for k in (100, 1000, 4096):
            ev = []
            for r in range(REPS + 3):
                a, b = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
                a.record()
                v, i = torch.topk(q @ x.T, k, dim=1)
                b.record()
                torch.cuda.synchronize()
                if r >= 3:
                    ev.append(a.elapsed_time(b))
            wall = []
            for r in range(REPS + 3):
                torch.cuda.synchronize()
                t0 = time.perf_counter()
                qq = torch.nn.functional.normalize(qh.to(dev), dim=1)
                v, i = torch.topk(qq @ x.T, k, dim=1)
                v, i = v.cpu(), i.cpu()
                w = (time.perf_counter() - t0) * 1e3
                if r >= 3:
                    wall.append(w)
            kern, e2e = statistics.median(ev), statistics.median(wall)
            op = f"top-{k} over 1Mx768 {name}, {bq} queries"
            rows.append({"op": op, "ms": kern, "e2e_ms": e2e})
            print(f"{op:45s} kernel {kern:9.4f} ms  end to end {e2e:9.4f} ms", flush=True)
    del x
    torch.cuda.empty_cache()
with open(os.path.join(out, "anyk_torch.json"), "w") as f:
    json.dump({"rows": rows}, f, indent=1)
