"""The work of mlxcompat's benchmarks, written as an MLX user writes it,
timed the same way: inputs evaluated first, one mx.eval per run, the
median of many runs after a warm-up, in ms.

    python3 peer.py [cpu|gpu]
"""
import statistics
import sys
import time

import mlx.core as mx

dev = sys.argv[1] if len(sys.argv) > 1 else "cpu"
mx.set_default_device(mx.cpu if dev == "cpu" else mx.gpu)


def timed(f, runs=50):
    for _ in range(5):
        mx.eval(f())
    ts = []
    for _ in range(runs):
        t0 = time.perf_counter()
        mx.eval(f())
        ts.append((time.perf_counter() - t0) * 1e3)
    return statistics.median(ts)


def normalize(x):
    return x / mx.maximum(mx.linalg.norm(x, axis=-1, keepdims=True), 1e-12)


mx.random.seed(1)
q = mx.random.normal((1, 768))
x10 = mx.random.normal((10000, 768))
a = mx.random.normal((1024, 1024))
b = mx.random.normal((1024, 1024))
x100 = normalize(mx.random.normal((100000, 768)))
mx.eval(q, x10, a, b, x100)


def search():
    s = normalize(q) @ x100.T
    idx = mx.argpartition(-s, kth=99, axis=-1)[..., :100]
    return mx.take_along_axis(s, idx, axis=-1), idx


print(f"mlx {mx.__version__} on {dev}")
print(f"cosine 1x10Kx768: {timed(lambda: normalize(q) @ normalize(x10).T):.4f} ms")
print(f"matmul 1024: {timed(lambda: a @ b):.4f} ms")
print(f"search 100Kx768 top100: {timed(search):.4f} ms")
