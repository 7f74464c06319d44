"""embench's encode peers: sentence-transformers on torch and ONNX Runtime.

peers.py imports this module for the groups "encode" and "encode_store"
and for the command "encode_reference". Each peer does what its users
write:

sentence-transformers: SentenceTransformer(DIR, device=D) (.half() for
float16), model.encode(texts, batch_size=32): its own tokenizer, texts
sorted by length, each batch padded to its longest.

onnxruntime: the model's transformer exported once by torch.onnx.export
(the TorchScript exporter, dynamic batch and sequence axes) into a cache
directory named by the hash of model.safetensors; an InferenceSession on
the CPU; the tokenizers library (tokenizer.json, truncated at
max_seq_length); texts sorted by length, batches of 32 padded to their
longest, mean pooling over the attention mask and normalizing in NumPy
(as the Pooling and Normalize modules do; what Go's hugot library runs).

encode_store, the seed's pipeline: every text encoded and kept (a tensor
on the device for sentence-transformers; a NumPy array for onnxruntime),
then each query encoded alone and searched: scores = q @ x.T, the top k
(torch.topk; argpartition and a sort of the k in NumPy).
"""

import hashlib
import json
import os
import time
import warnings


def read_texts(path):
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def load_st(model, device, dtype):
    from sentence_transformers import SentenceTransformer

    m = SentenceTransformer(model, device=device)
    if dtype == "float16":
        m = m.half()
    elif dtype == "float32":
        m = m.float()  # whatever the weights file holds (float16 weights load as such)
    else:
        raise ValueError("sentence-transformers runs float32 or float16, not %s" % dtype)
    return m


def reference(model, texts, out):
    """Writes the embeddings of the texts by sentence-transformers in
    float32 on the CPU to out (.npy) and returns out."""
    import numpy as np

    m = load_st(model, "cpu", "float32")
    e = m.encode(read_texts(texts), batch_size=32, convert_to_numpy=True)
    np.save(out, np.ascontiguousarray(e, dtype=np.float32))
    return out


def peak_reset():
    """Resets the kernel's record of peak resident memory (Linux) and
    returns the resident memory now, or -1."""
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except OSError:
        return -1


def peak_since(base):
    """The growth of peak resident memory since peak_reset gave base (0
    when it did not grow), or -1 if unknown."""
    if base < 0:
        return -1
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return max(0, int(line.split()[1]) * 1024 - base)
    except OSError:
        pass
    return -1


class STEncoder:
    def __init__(self, model, device, dtype, batch):
        self.m = load_st(model, device, dtype)
        self.device = device
        self.batch = batch

    def sync(self):
        if self.device == "cuda":
            import torch

            torch.cuda.synchronize()

    def encode(self, texts):
        """Host float32 embeddings [len(texts), dim]."""
        import numpy as np

        return np.asarray(self.m.encode(texts, batch_size=self.batch, convert_to_numpy=True), dtype=np.float32)

    def encode_kept(self, texts):
        """The embeddings as a user keeps them: a tensor on the device."""
        x = self.m.encode(texts, batch_size=self.batch, convert_to_tensor=True)
        self.sync()
        return x

    def search(self, x, query, k):
        import torch

        q = self.m.encode([query], batch_size=1, convert_to_tensor=True)
        vals, idx = torch.topk(q @ x.T, k, dim=1)
        vals, idx = vals.float().cpu().numpy(), idx.cpu().numpy()
        self.sync()
        return vals, idx

    def host(self, x):
        return x.float().cpu().numpy()


def onnx_export(model, cache):
    """The path of the model's transformer as ONNX, exported on first use
    into cache/<hash of model.safetensors>/model.onnx (written to a
    temporary name and renamed: a stopped export leaves no file)."""
    h = hashlib.sha256()
    with open(os.path.join(model, "model.safetensors"), "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    d = os.path.join(cache, h.hexdigest()[:16])
    path = os.path.join(d, "model.onnx")
    if os.path.exists(path):
        return path
    os.makedirs(d, exist_ok=True)
    import torch

    st = load_st(model, "cpu", "float32")
    bert = st[0].auto_model.eval()

    class Hidden(torch.nn.Module):
        def __init__(self, m):
            super().__init__()
            self.m = m

        def forward(self, input_ids, attention_mask, token_type_ids):
            return self.m(input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids).last_hidden_state

    enc = st.tokenizer(["an example", "a longer example of a text to trace"], padding=True, return_tensors="pt")
    names = ["input_ids", "attention_mask", "token_type_ids"]
    axes = {n: {0: "batch", 1: "tokens"} for n in names + ["hidden"]}
    tmp = "%s.%d.tmp" % (path, os.getpid())
    with warnings.catch_warnings(), torch.no_grad():
        warnings.simplefilter("ignore")
        torch.onnx.export(Hidden(bert), tuple(enc[n] for n in names), tmp, dynamo=False,
                          input_names=names, output_names=["hidden"], dynamic_axes=axes, opset_version=17)
    os.replace(tmp, path)
    return path


class ORTEncoder:
    def __init__(self, model, cache, batch):
        import numpy as np
        import onnxruntime as ort
        from tokenizers import Tokenizer

        self.np = np
        with open(os.path.join(model, "modules.json")) as f:
            modules = json.load(f)
        pooling = next(m for m in modules if m["type"].endswith("Pooling"))
        with open(os.path.join(model, pooling["path"], "config.json")) as f:
            pcfg = json.load(f)
        if not pcfg.get("pooling_mode_mean_tokens") or pcfg.get("pooling_mode_cls_token") or pcfg.get("pooling_mode_max_tokens"):
            raise ValueError("the onnxruntime peer pools by mean only; %s pools otherwise" % model)
        self.normalize = any(m["type"].endswith("Normalize") for m in modules)
        with open(os.path.join(model, "sentence_bert_config.json")) as f:
            max_seq = json.load(f)["max_seq_length"]
        self.tok = Tokenizer.from_file(os.path.join(model, "tokenizer.json"))
        self.tok.enable_truncation(max_seq)
        self.tok.no_padding()
        self.sess = ort.InferenceSession(onnx_export(model, cache), providers=["CPUExecutionProvider"])
        self.batch = batch

    def encode(self, texts):
        np = self.np
        encs = self.tok.encode_batch(texts)
        order = sorted(range(len(texts)), key=lambda i: -len(encs[i].ids))
        out = None
        for s in range(0, len(order), self.batch):
            rows = order[s : s + self.batch]
            n = max(len(encs[i].ids) for i in rows)
            ids = np.zeros((len(rows), n), np.int64)
            mask = np.zeros((len(rows), n), np.int64)
            types = np.zeros((len(rows), n), np.int64)
            for r, i in enumerate(rows):
                e = encs[i]
                ids[r, : len(e.ids)] = e.ids
                mask[r, : len(e.ids)] = 1
                types[r, : len(e.ids)] = e.type_ids
            h = self.sess.run(None, {"input_ids": ids, "attention_mask": mask, "token_type_ids": types})[0]
            m = mask[:, :, None].astype(np.float32)
            v = (h * m).sum(axis=1) / np.maximum(m.sum(axis=1), 1e-9)
            if self.normalize:
                v /= np.maximum(np.linalg.norm(v, axis=1, keepdims=True), 1e-12)
            if out is None:
                out = np.empty((len(texts), v.shape[1]), np.float32)
            out[rows] = v
        return out

    def sync(self):
        pass

    def encode_kept(self, texts):
        return self.encode(texts)

    def search(self, x, query, k):
        np = self.np
        s = -(self.encode([query]) @ x.T)
        part = np.argpartition(s, k - 1, axis=1)[:, :k]
        ps = np.take_along_axis(s, part, axis=1)
        order = np.argsort(ps, axis=1, kind="stable")
        return -np.take_along_axis(ps, order, axis=1), np.take_along_axis(part, order, axis=1).astype(np.int64)

    def host(self, x):
        return x


class EncodeGroup:
    """The texts and the loaded model of one encode group for one peer.
    peers.py gives it Group's timing loop, which calls run."""

    def __init__(self, np, peer, group, inputs, params):
        self.np = np
        self.group = group
        self.params = params
        self.texts = read_texts(inputs["texts"])
        self.queries = read_texts(inputs["queries"]) if "queries" in inputs else []
        if peer == "sentence-transformers":
            self.enc = STEncoder(params["model"], params.get("device", "cpu"), params["dtype"], params["batch"])
        elif peer == "onnxruntime":
            if params["dtype"] != "float32":
                raise ValueError("the ONNX export is float32")
            self.enc = ORTEncoder(params["model"], params["onnx_cache"], params["batch"])
        else:
            raise ValueError("peer %s runs no encoder" % peer)
        self.resident = 0
        self.device_bytes = 0
        self.extra = None

    def pipeline(self, k, record):
        base = peak_reset()
        t0 = time.perf_counter()
        x = self.enc.encode_kept(self.texts)
        add = time.perf_counter() - t0
        hits, qms = [], []
        for q in self.queries:
            t1 = time.perf_counter()
            hits.append(self.enc.search(x, q, k))
            qms.append((time.perf_counter() - t1) * 1e3)
        if record:
            if self.extra is None:
                self.extra = {"add_ms": [], "query_ms": [], "peak_bytes": -1}
            self.extra["add_ms"].append(add * 1e3)
            self.extra["query_ms"].extend(qms)
            self.extra["peak_bytes"] = max(self.extra["peak_bytes"], peak_since(base))
        return x, hits

    def run(self, op, p):
        if op == "encode":
            return (self.enc.encode(self.texts),)
        if op == "encode_store":
            x, hits = self.pipeline(self.params["k"], p.get("_timing", False))
            if p.get("_timing"):
                return ()
            np = self.np
            vals = np.concatenate([h[0] for h in hits]).astype(np.float32)
            idx = np.concatenate([h[1] for h in hits]).astype(np.int64)
            return (self.enc.host(x).astype(np.float32), self.enc.encode(self.queries), vals, idx)
        raise ValueError("unknown op %r" % op)

    def outputs(self, op, p):
        return self.run(op, p)
