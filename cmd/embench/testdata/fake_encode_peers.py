"""A stand-in for encode_peers.py (TestEncodePeerWrongNotTimed): no model
is loaded. A text's embedding is a unit vector drawn from a hash of the
text, the same in the reference and in both peers; the peers then negate
the second stored row of every output (one wrong text) and their timing
loop fails, so a timed wrong answer shows as a failure.
"""

import hashlib
import json
import os

import numpy as np


def read_texts(path):
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def embed(model, texts):
    with open(os.path.join(model, "config.json")) as f:
        dim = json.load(f)["hidden_size"]
    rows = []
    for s in texts:
        seed = int.from_bytes(hashlib.sha256(s.encode()).digest()[:8], "little")
        v = np.random.default_rng(seed).standard_normal(dim)
        rows.append(v / np.linalg.norm(v))
    return np.array(rows, dtype=np.float32)


def reference(model, texts, out):
    np.save(out, embed(model, read_texts(texts)))
    return out


def _no_time(op, p, policy):
    raise RuntimeError("a wrong answer was timed")


class EncodeGroup:
    def __init__(self, np_, peer, group, inputs, params):
        self.params = params
        self.texts = read_texts(inputs["texts"])
        self.queries = read_texts(inputs["queries"]) if "queries" in inputs else []
        self.resident = 0
        self.device_bytes = 0
        self.extra = None
        self.time = _no_time  # peers.py sets the class's time to Group.time

    def outputs(self, op, p):
        x = embed(self.params["model"], self.texts)
        outs = [x]
        if op == "encode_store":
            q = embed(self.params["model"], self.queries)
            s = q @ x.T
            idx = np.argsort(-s, axis=1, kind="stable")[:, : self.params["k"]]
            outs += [q, np.take_along_axis(s, idx, axis=1), idx.astype(np.int64)]
        outs[0][1] = -outs[0][1]
        return tuple(outs)
