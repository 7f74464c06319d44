"""NumPy side of cmd/silica's interop test (TestNumPyInterop).

make DIR: numpy.save vectors (float32 and float16), ids and queries.
check DIR STORE DTYPE METRIC SEARCH_JSON: numpy.load the store's files and
compare them with what was imported; compare silica search --json with a
float64 brute force.
"""
import json
import sys

import numpy as np


def make(d):
    rng = np.random.default_rng(7)
    n, dim = 1007, 33
    v = rng.standard_normal((n, dim)).astype(np.float32)
    np.save(f"{d}/v32.npy", v)
    np.save(f"{d}/v16.npy", v.astype(np.float16))
    np.save(f"{d}/ids.npy", rng.permutation(10 * n)[:n].astype(np.int64))
    np.save(f"{d}/q.npy", rng.standard_normal((5, dim)).astype(np.float32))


def check(d, store, dtype, metric, search_json):
    src = np.load(f"{d}/v16.npy" if dtype == "f16" else f"{d}/v32.npy")
    ids = np.load(f"{d}/ids.npy")
    emb = np.load(f"{store}/embeddings.npy")
    got_ids = np.load(f"{store}/ids.npy")
    assert got_ids.dtype == np.int64 and emb.shape == src.shape, (got_ids.dtype, emb.shape)
    assert sorted(got_ids.tolist()) == sorted(ids.tolist()), "ids differ"
    order = {int(i): k for k, i in enumerate(ids)}
    want = src[[order[int(i)] for i in got_ids]]
    if metric == "cosine":
        want = (want.astype(np.float64) / np.linalg.norm(want.astype(np.float64), axis=1, keepdims=True))
    if dtype == "i8":
        scales = np.load(f"{store}/scales.npy")
        assert emb.dtype == np.int8 and scales.dtype == np.float32, (emb.dtype, scales.dtype)
        back = emb.astype(np.float64) * scales[:, None]
        err = np.abs(back - want).max(axis=1)
        assert (err <= scales * 0.5 + 1e-6).all(), f"int8 rows off by up to {err.max()}"
    elif metric == "cosine":
        assert np.allclose(emb, want, atol=1e-6), "normalized rows differ"
    else:
        assert emb.dtype == src.dtype, (emb.dtype, src.dtype)
        assert np.array_equal(emb, want), "embeddings.npy differs from the imported vectors"
    # Search results against a float64 brute force over the original rows.
    q = np.load(f"{d}/q.npy").astype(np.float64)
    x = src.astype(np.float64)
    if metric == "cosine":
        s = (q / np.linalg.norm(q, axis=1, keepdims=True)) @ (x / np.linalg.norm(x, axis=1, keepdims=True)).T
    elif metric == "dot":
        s = q @ x.T
    else:
        s = ((q[:, None, :] - x[None, :, :]) ** 2).sum(axis=2)
    res = json.load(open(search_json))
    tol = {"f32": 1e-4, "f16": 2e-2, "i8": 5e-2}[dtype]
    for r in res:
        i, hits = r["query"], r["hits"]
        k = len(hits)
        order = np.argsort(-s[i] if metric != "l2" else s[i], kind="stable")[:k]
        want_ids = ids[order]
        scale = np.abs(s[i]).max()
        for h, wid, wscore in zip(hits, want_ids, s[i][order]):
            assert abs(h["score"] - wscore) <= tol * scale, (i, h, int(wid), wscore)
        if dtype == "f32":
            assert [h["id"] for h in hits] == want_ids.tolist(), (i, [h["id"] for h in hits], want_ids.tolist())
    print("ok", store, dtype, metric)


if __name__ == "__main__":
    if sys.argv[1] == "make":
        make(sys.argv[2])
    else:
        check(*sys.argv[2:])
