"""Peers of cmd/cpupeers: NumPy and faiss-cpu on the data the Go side wrote.

Reads commands on stdin, one a line, and answers each with one line of
seconds (or 'info ...'):
  load PATH N D M       x [N, D] and q [M, D] float32 from PATH (x, then q);
                        for cosine a copy of the rows normalized once, for
                        l2 the rows' squared norms (as a user would keep)
  numpy M K METRIC      cosine: top-K of x @ q[:M].T (queries normalized);
                        l2: smallest K of |x|^2 - 2 x @ q[:M].T (adding
                        |q|^2 after the selection); argpartition, then sort
  faiss M K METRIC      IndexFlatIP (cosine, queries normalized) or
                        IndexFlatL2 .search(q[:M], K)
  matmul N              a @ b for two N x N float32 matrices
  info                  versions and the OpenBLAS kernel NumPy runs
"""
import sys
import time

import numpy as np

x = q = index = None
xl2 = xsq = index_l2 = None
mats = {}


def blas_info():
    """NumPy's and faiss's versions and the OpenBLAS kernel NumPy runs."""
    import ctypes
    import glob
    import os

    import faiss

    core = "unknown"
    for lib in glob.glob(os.path.join(os.path.dirname(np.__file__), "..", "numpy.libs", "*openblas*")):
        so = ctypes.CDLL(lib)
        for name in ("scipy_openblas_get_corename64_", "openblas_get_corename64_", "openblas_get_corename"):
            f = getattr(so, name, None)
            if f is not None:
                f.restype = ctypes.c_char_p
                core = f().decode()
                break
    return f"numpy {np.__version__} (OpenBLAS kernel {core}), faiss {faiss.__version__}"


def numpy_search(m, k, metric):
    if metric == "l2":
        qs = q[:m]
        s = xsq[:, None] - 2 * (xl2 @ qs.T)  # [N, m]: distance less |q|^2
        part = np.argpartition(s, k - 1, axis=0)[:k]  # [k, m]
        top = np.take_along_axis(s, part, axis=0)
        order = np.argsort(top, axis=0, kind="stable")
        dist = np.take_along_axis(top, order, axis=0) + (qs * qs).sum(axis=1)[None, :]
        return np.take_along_axis(part, order, axis=0), dist
    qs = q[:m] / np.linalg.norm(q[:m], axis=1, keepdims=True)
    s = x @ qs.T  # [N, m]
    part = np.argpartition(-s, k - 1, axis=0)[:k]  # [k, m]
    top = np.take_along_axis(s, part, axis=0)
    order = np.argsort(-top, axis=0, kind="stable")
    return np.take_along_axis(part, order, axis=0)


def faiss_search(m, k, metric):
    if metric == "l2":
        return index_l2.search(q[:m], k)
    qs = q[:m] / np.linalg.norm(q[:m], axis=1, keepdims=True)
    return index.search(qs, k)


def main():
    global x, q, index, xl2, xsq, index_l2
    for line in sys.stdin:
        cmd = line.split()
        if not cmd:
            continue
        if cmd[0] == "load":
            path, n, d, m = cmd[1], int(cmd[2]), int(cmd[3]), int(cmd[4])
            raw = np.fromfile(path, dtype=np.float32)
            xl2 = raw[: n * d].reshape(n, d).copy()
            q = raw[n * d : n * d + m * d].reshape(m, d).copy()
            x = xl2 / np.linalg.norm(xl2, axis=1, keepdims=True)
            xsq = (xl2 * xl2).sum(axis=1)
            import faiss

            index = faiss.IndexFlatIP(d)
            index.add(x)
            index_l2 = faiss.IndexFlatL2(d)
            index_l2.add(xl2)
            print("ok", flush=True)
            continue
        if cmd[0] == "info":
            print(f"info {blas_info()}", flush=True)
            continue
        t0 = time.perf_counter()
        if cmd[0] == "numpy":
            numpy_search(int(cmd[1]), int(cmd[2]), cmd[3])
        elif cmd[0] == "faiss":
            faiss_search(int(cmd[1]), int(cmd[2]), cmd[3])
        elif cmd[0] == "matmul":
            n = int(cmd[1])
            if n not in mats:
                r = np.random.default_rng(1)
                mats[n] = (r.standard_normal((n, n), dtype=np.float32), r.standard_normal((n, n), dtype=np.float32))
                t0 = time.perf_counter()
            a, b = mats[n]
            a @ b
        else:
            print(f"unknown command {cmd[0]}", file=sys.stderr)
            sys.exit(2)
        print(f"{time.perf_counter() - t0:.6f}", flush=True)


if __name__ == "__main__":
    main()
