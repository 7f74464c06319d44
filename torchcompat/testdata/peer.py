"""The work of torchcompat's benchmarks, written as a PyTorch user writes
it, timed the same way: inputs on the device, the device synchronized
after each run, the median of many runs after a warm-up, in ms.

    python3 peer.py [cpu|cuda]
"""
import statistics
import sys
import time

import torch
import torch.nn.functional as F

dev = sys.argv[1] if len(sys.argv) > 1 else "cpu"
torch.backends.cuda.matmul.allow_tf32 = False


def sync():
    if dev.startswith("cuda"):
        torch.cuda.synchronize()


def timed(f, runs=50):
    for _ in range(5):
        f()
    sync()
    ts = []
    for _ in range(runs):
        t0 = time.perf_counter()
        f()
        sync()
        ts.append((time.perf_counter() - t0) * 1e3)
    return statistics.median(ts)


g = torch.Generator().manual_seed(1)
q = torch.randn(1, 768, generator=g).to(dev)
x10 = torch.randn(10000, 768, generator=g).to(dev)
a = torch.randn(1024, 1024, generator=g).to(dev)
b = torch.randn(1024, 1024, generator=g).to(dev)
x100 = F.normalize(torch.randn(100000, 768, generator=g).to(dev), dim=1)

print(f"torch {torch.__version__} on {dev} ({torch.get_num_threads()} threads)")
print(f"cosine 1x10Kx768: {timed(lambda: F.normalize(q, dim=1) @ F.normalize(x10, dim=1).T):.4f} ms")
print(f"matmul 1024: {timed(lambda: a @ b):.4f} ms")
print(f"search 100Kx768 top100: {timed(lambda: torch.topk(F.normalize(q, dim=1) @ x100.T, 100)):.4f} ms")
