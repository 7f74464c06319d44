"""embench's Python peers: NumPy, FAISS and PyTorch, driven by cmd/embench
(and, through encode_peers.py beside it, sentence-transformers and ONNX
Runtime for the encode scenarios).

embench starts this script (embedded in the Go binary) with the python it
found (SILICA_PYTHON, else python3 on PATH) and talks to it in JSON lines:
one request on stdin, one answer on stdout. The inputs are the same arrays
the engine backends get, written by embench as .npy files; every answer
that carries results writes them as .npy files for embench to verify
against the CPU reference before it asks for a timing.

Requests and answers:

  {"cmd": "group", "peer": P, "group": G, "inputs": {name: path}, "params": {...}}
      -> {"ok": true, "resident_bytes": R, "device_bytes": D} or {"ok": false, "error": ...}
      (R: growth of resident memory while the store's rows were added;
      D: growth of the memory torch allocated on a CUDA device, else 0)
  {"cmd": "case", "op": OP, "params": {...}, "out": PREFIX}
      -> {"ok": true, "files": [PREFIX0.npy, ...]} (outputs of one run)
  {"cmd": "time", "op": OP, "params": {...}, "policy": {...}}
      -> {"ok": true, "ms": [sample, ...], "extra": null or {...}}
      (extra: what encode_store's runs recorded of their parts)
  {"cmd": "release"} -> {"ok": true} (the group's arrays are freed)
  {"cmd": "encode_reference", "model": DIR, "texts": JSON, "out": PATH}
      -> {"ok": true, "files": [PATH]} (the embeddings of the texts by
      sentence-transformers in float32 on the CPU: the encode reference)
  {"cmd": "quit"}

The timing loop is the one measure.go runs for the engine backends:
warm-up runs, then samples until both a minimum count and a minimum time
are reached, or a maximum time (after at least three samples), or a
maximum count.

`python3 peers.py --probe [--torch-device cpu|cuda|auto]` prints the
versions of Python and of each peer's library (null for a missing
package, with the import error); for PyTorch also the device its peer would use
(auto: cuda where torch sees one, else cpu) and that device's name, or
why it cannot use the device asked for.

The peers do what their users write. NumPy: rows normalized once when
added; a search normalizes the queries, `q @ x.T`, argpartition and a sort
of the k. FAISS: IndexFlatIP over normalize_L2'd rows (cosine, dot) or
IndexFlatL2, IndexScalarQuantizer QT_fp16 for float16. PyTorch: the rows
a tensor on the device (moved there, normalized and converted to the
storage dtype when added); a search moves the queries to the device,
normalizes them, `q @ x.T` (||q||^2 - 2 q.x + ||x||^2 under l2),
`torch.topk`, and `.cpu()` of the results, the device synchronized.
"""

import gc
import json
import os
import platform
import sys
import time


def probe(torch_device):
    out = {"python": platform.python_version(), "executable": sys.executable}
    # peer: the modules it needs, the first giving its version.
    needs = {
        "numpy": ["numpy"],
        "faiss": ["faiss"],
        "torch": ["torch"],
        "sentence-transformers": ["sentence_transformers"],
        # The ONNX export (once, cached) needs torch and the model's
        # transformer as sentence-transformers loads it.
        "onnxruntime": ["onnxruntime", "tokenizers", "torch", "sentence_transformers"],
    }
    for peer, mods in needs.items():
        try:
            ms = [__import__(mod) for mod in mods]
            out[peer] = getattr(ms[0], "__version__", "unknown")
        except Exception as e:  # any import failure means: not available
            out[peer] = None
            out[peer + "_error"] = "%s: %s" % (type(e).__name__, e)
    if out["torch"] is not None:
        import torch

        cuda = torch.cuda.is_available()
        dev = torch_device if torch_device != "auto" else ("cuda" if cuda else "cpu")
        if dev == "cuda" and not cuda:
            out["torch_unusable"] = "torch %s sees no CUDA device (--torch-device cuda); use --torch-device cpu" % out["torch"]
            out["torch"] = None
        else:
            out["torch_device"] = dev
            out["torch_device_name"] = torch.cuda.get_device_name() if dev == "cuda" else platform.processor() or "cpu"
    print(json.dumps(out))


def resident_bytes():
    """The process's resident memory now (Linux, after handing freed heap
    memory back to the system, as Go's FreeOSMemory does), else its peak."""
    try:
        import ctypes

        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):
        pass  # not glibc: the figure may include freed memory
    try:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except OSError:
        import resource

        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        return peak if sys.platform == "darwin" else peak * 1024


def normalize_rows(np, x):
    """x / max(||row||, 1e-12), as torch.nn.functional.normalize."""
    n = np.linalg.norm(x, axis=1, keepdims=True)
    return x / np.maximum(n, np.float32(1e-12))


class Group:
    """The arrays and state of one group of cases for one peer."""

    def __init__(self, np, peer, group, inputs, params):
        self.np = np
        self.peer = peer
        self.group = group
        self.params = params
        self.x = {k: np.load(v) for k, v in inputs.items()}
        self.state = None
        self.resident = 0
        self.device_bytes = 0
        if group == "seed" and "x" in self.x and params.get("prenormalize"):
            self.x["xn"] = normalize_rows(np, self.x["x"]).astype(np.float32)
        if group == "store_search":
            before, dev_before = resident_bytes(), self.device_allocated()
            self.state = self.build()
            self.resident = resident_bytes() - before
            self.device_bytes = self.device_allocated() - dev_before

    # PyTorch: the device of the torch peer, and waiting for it.

    def torch_device(self):
        return self.params.get("device", "cpu")

    def torch_devices(self):
        """The devices of the rows: with params devices > 1 (embench's
        --devices) the first that many GPUs, else the one device."""
        n = int(self.params.get("devices", 1))
        if n <= 1:
            return [self.torch_device()]
        if self.torch_device() != "cuda":
            raise ValueError("--devices %d needs the torch peer on cuda" % n)
        import torch

        if torch.cuda.device_count() < n:
            raise ValueError("torch sees %d GPUs; --devices %d needs that many" % (torch.cuda.device_count(), n))
        return ["cuda:%d" % i for i in range(n)]

    def sync(self):
        if self.peer == "torch" and self.torch_device() == "cuda":
            import torch

            for d in self.torch_devices():
                torch.cuda.synchronize(d)

    def device_allocated(self):
        if self.peer == "torch" and self.torch_device() == "cuda":
            import torch

            return sum(torch.cuda.memory_allocated(d) for d in self.torch_devices())
        return 0

    # The store: the embeddings as a peer keeps them.

    def dtype(self):
        return {"float32": self.np.float32, "float16": self.np.float16}[self.params["dtype"]]

    def build(self):
        np = self.np
        metric = self.params["metric"]
        data = self.x["data"]
        if self.peer == "torch":
            return self.build_torch()
        if self.peer == "numpy":
            dt = self.dtype()
            if dt != np.float32:
                raise ValueError("NumPy has no BLAS for float16 (its float16 matmul is a scalar loop)")
            x = data.astype(dt, copy=False)
            if metric == "cosine":
                x = normalize_rows(np, x).astype(dt, copy=False)
            sq = None
            if metric == "l2":
                sq = np.einsum("ij,ij->i", x, x)
            return (x, sq)
        import faiss

        d = data.shape[1]
        fm = faiss.METRIC_L2 if metric == "l2" else faiss.METRIC_INNER_PRODUCT
        if self.params["dtype"] == "float32":
            index = faiss.IndexFlatL2(d) if metric == "l2" else faiss.IndexFlatIP(d)
        else:
            index = faiss.IndexScalarQuantizer(d, faiss.ScalarQuantizer.QT_fp16, fm)
        x = np.array(data, dtype=np.float32, copy=True)
        if metric == "cosine":
            faiss.normalize_L2(x)
        if not index.is_trained:
            index.train(x)
        index.add(x)
        return index

    def torch_dtype(self):
        import torch

        return {"float32": torch.float32, "float16": torch.float16, "bfloat16": torch.bfloat16}[self.params["dtype"]]

    def build_torch(self):
        """The rows as a PyTorch user keeps them: a tensor on the device,
        normalized (in float32) and converted to the storage dtype once;
        under l2 also each row's squared norm. With params devices and
        shards (embench's --devices, --shards) the user shards by hand:
        the rows cut into devices x shards runs, run j on device j %
        devices, as the store spreads them."""
        import torch

        data = self.x["data"]
        devs = self.torch_devices()
        n = len(devs) * int(self.params.get("shards", 1))
        shards = []
        for j in range(n):
            lo, hi = j * len(data) // n, (j + 1) * len(data) // n
            x = torch.from_numpy(data[lo:hi]).to(devs[j % len(devs)])
            if self.params["metric"] == "cosine":
                x = torch.nn.functional.normalize(x, dim=1)
            x = x.to(self.torch_dtype())
            sq = None
            if self.params["metric"] == "l2":
                sq = (x * x).sum(dim=1)
            shards.append((x, sq, lo))
        self.sync()
        if n == 1:
            return shards[0][:2]
        return shards

    def scan_torch(self, x, sq, q, k):
        """The top k of queries q (a host tensor) over rows x on x's device."""
        import torch

        metric = self.params["metric"]
        q = q.to(x.device)
        if metric == "cosine":
            q = torch.nn.functional.normalize(q, dim=1)
        q = q.to(x.dtype)
        s = q @ x.T
        if metric == "l2":
            s = (q * q).sum(dim=1, keepdim=True) - 2 * s + sq[None, :]
        return torch.topk(s, min(k, len(x)), dim=1, largest=metric != "l2")

    def search_torch(self, state, q, k):
        import torch

        q = torch.from_numpy(q)
        if isinstance(state, tuple):
            vals, idx = self.scan_torch(state[0], state[1], q, k)
        else:
            # Sharded by hand: every shard's top k (the devices run at
            # once: CUDA calls return before the work is done), then the
            # candidates merged on the host.
            parts = [self.scan_torch(x, sq, q, k) + (lo,) for x, sq, lo in state]
            vals = torch.cat([v.float().cpu() for v, _, _ in parts], dim=1)
            idx = torch.cat([i.cpu() + lo for _, i, lo in parts], dim=1)
            vals, at = torch.topk(vals, k, dim=1, largest=self.params["metric"] != "l2")
            idx = torch.gather(idx, 1, at)
        vals, idx = vals.float().cpu(), idx.cpu()
        self.sync()
        return vals.numpy(), idx.numpy()

    def stored_rows(self, state, rows):
        np = self.np
        if self.peer == "torch":
            import torch

            if not isinstance(state, tuple):
                raise ValueError("stored rows of a sharded torch store are not read back")
            x = state[0]
            return x[torch.from_numpy(np.asarray(rows, dtype=np.int64)).to(x.device)].float().cpu().numpy()
        if self.peer == "numpy":
            return state[0][rows].astype(np.float32)
        return np.stack([state.reconstruct(int(i)) for i in rows]).astype(np.float32)

    def search(self, state, q, k):
        np = self.np
        metric = self.params["metric"]
        if self.peer == "torch":
            return self.search_torch(state, q, k)
        if self.peer == "numpy":
            x, sq = state
            q = q.astype(x.dtype)
            if metric == "cosine":
                q = normalize_rows(np, q).astype(x.dtype)
            s = q @ x.T
            if metric == "l2":
                s = (np.einsum("ij,ij->i", q, q)[:, None] - 2 * s) + sq[None, :]
            else:
                s = -s  # argpartition finds the smallest
            part = np.argpartition(s, k - 1, axis=1)[:, :k]
            ps = np.take_along_axis(s, part, axis=1)
            order = np.argsort(ps, axis=1, kind="stable")
            idx = np.take_along_axis(part, order, axis=1)
            vals = np.take_along_axis(ps, order, axis=1)
            if metric != "l2":
                vals = -vals
            return vals.astype(np.float32), idx.astype(np.int64)
        import faiss

        q = np.array(q, dtype=np.float32, copy=True)
        if metric == "cosine":
            faiss.normalize_L2(q)
        vals, idx = state.search(q, k)
        return vals, idx.astype(np.int64)

    # One run of an op: returns the outputs (a tuple of arrays).

    def run(self, op, p):
        np = self.np
        x = self.x
        if op == "matmul":
            return (x["a"] @ x["b"],)
        if op == "cosine":
            return (normalize_rows(np, x["q"]) @ normalize_rows(np, x["x"]).T,)
        if op == "cosine_prenorm":
            return (normalize_rows(np, x["q"]) @ x["xn"].T,)
        if op == "normalize":
            return (normalize_rows(np, x["x"]),)
        if op == "fma":
            return (x["a"] * x["b"] + x["c"],)
        if op == "gather":
            return (x["x"][x["idx"]],)
        if op == "slice":
            # A view would cost nothing; the engine makes a contiguous copy.
            return (x["x"][p["start"] : p["end"]].copy(),)
        if op == "add":
            # Timed: the add alone. Verified: the rows it stored.
            state = self.build()
            if p.get("_timing"):
                return ()
            return (self.stored_rows(state, x["sample"]),)
        if op == "search":
            b, k = p["batch"], p["k"]
            if p.get("rotate"):
                # One query at a time, each row of the pool in turn.
                i = p.get("_rep", 0) % p["rotate"]
                return self.search(self.state, x["queries"][i : i + 1], k)
            return self.search(self.state, x["queries"][:b], k)
        raise ValueError("unknown op %r" % op)

    def outputs(self, op, p):
        """The outputs that embench verifies: for a rotating search, each
        query of the pool in turn, stacked."""
        if op == "search" and p.get("rotate"):
            parts = []
            for i in range(p["rotate"]):
                parts.append(self.run(op, dict(p, _rep=i)))
            return tuple(self.np.concatenate([r[j] for r in parts]) for j in range(len(parts[0])))
        return self.run(op, p)

    def time(self, op, p, policy):
        min_reps, max_reps = policy["min_reps"], policy["max_reps"]
        min_t, max_t = policy["min_ms"] / 1e3, policy["max_ms"] / 1e3
        if policy.get("verified_ms", 0) / 1e3 > policy["slow_case"] * max_t:
            min_reps = max_reps = 1  # so slow a case gets one sample
        warm = time.perf_counter() - policy.get("verified_ms", 0) / 1e3
        for i in range(policy["warmup"]):
            if time.perf_counter() - warm >= min_t / 2:
                break
            self.run(op, dict(p, _rep=i, _timing=True))
        samples = []
        start = time.perf_counter()
        while len(samples) < max_reps:
            t0 = time.perf_counter_ns()
            self.run(op, dict(p, _rep=len(samples), _timing=True))
            samples.append((time.perf_counter_ns() - t0) / 1e6)
            elapsed = time.perf_counter() - start
            if len(samples) >= min_reps and elapsed >= min_t:
                break
            if len(samples) >= 3 and elapsed >= max_t:
                break
        return samples


def serve():
    import numpy as np

    group = None
    for line in sys.stdin:
        req = json.loads(line)
        cmd = req["cmd"]
        try:
            if cmd == "quit":
                return
            if cmd == "release":
                group = None
                gc.collect()
                ans = {"ok": True}
            elif cmd == "group":
                group = None
                gc.collect()
                kind = Group
                if req["group"] in ("encode", "encode_store"):
                    import encode_peers

                    kind = encode_peers.EncodeGroup
                    kind.time = Group.time  # the same timing loop, over its run
                group = kind(np, req["peer"], req["group"], req["inputs"], req.get("params") or {})
                ans = {"ok": True, "resident_bytes": group.resident, "device_bytes": group.device_bytes}
            elif cmd == "case":
                outs = group.outputs(req["op"], req.get("params") or {})
                files = []
                for i, o in enumerate(outs):
                    path = "%s%d.npy" % (req["out"], i)
                    np.save(path, np.ascontiguousarray(o))
                    files.append(path)
                ans = {"ok": True, "files": files}
            elif cmd == "time":
                ans = {"ok": True, "ms": group.time(req["op"], req.get("params") or {}, req["policy"])}
                ans["extra"] = getattr(group, "extra", None)
            elif cmd == "encode_reference":
                import encode_peers

                ans = {"ok": True, "files": [encode_peers.reference(req["model"], req["texts"], req["out"])]}
            else:
                ans = {"ok": False, "error": "unknown command %r" % cmd}
        except Exception as e:  # reported to embench, which says why the peer did not run
            ans = {"ok": False, "error": "%s: %s" % (type(e).__name__, e)}
        sys.stdout.write(json.dumps(ans) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    if sys.argv[1:2] == ["--probe"]:
        probe(sys.argv[3] if sys.argv[2:3] == ["--torch-device"] else "auto")
    else:
        serve()
