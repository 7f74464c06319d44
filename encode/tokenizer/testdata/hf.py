"""The Python side of the tokenizer's tests: Hugging Face tokenizers.

python hf.py REQUEST.json OUT.json

REQUEST is an object; its "kind" says what to compute:

- "file": token ids of every text of "texts" (a JSON file holding a list
  of strings) by Tokenizer.from_file("path"), no padding, truncation to
  "max_length" (0: none) as sentence-transformers sets it. Writes a list
  of id lists.
- "vocab": the same by BertWordPieceTokenizer("path", lowercase,
  strip_accents, handle_chinese_chars).
- "unicode": for each normalizer configuration of "configs" and each
  code point c of "code_points", the words of "x" + chr(c) + "x"
  after BertNormalizer and BertPreTokenizer. Writes, per configuration,
  an object from code point to words for the code points whose words are
  not ["x" + chr(c) + "x"].
"""
import json
import sys

from tokenizers import Tokenizer, normalizers, pre_tokenizers
from tokenizers.implementations import BertWordPieceTokenizer


def encode(tok, req):
    tok.no_padding()
    if req["max_length"] > 0:
        tok.enable_truncation(max_length=req["max_length"])
    else:
        tok.no_truncation()
    with open(req["texts"], encoding="utf-8") as f:
        texts = json.load(f)
    return [e.ids for e in tok.encode_batch(texts)]


def unicode_words(cfg, code_points):
    n = normalizers.BertNormalizer(
        clean_text=cfg["clean_text"],
        handle_chinese_chars=cfg["handle_chinese_chars"],
        strip_accents=cfg["strip_accents"],
        lowercase=cfg["lowercase"],
    )
    p = pre_tokenizers.BertPreTokenizer()
    out = {}
    for c in code_points:
        s = "x" + chr(c) + "x"
        words = [w for w, _ in p.pre_tokenize_str(n.normalize_str(s))]
        if words != [s]:
            out[str(c)] = words
    return out


def main():
    with open(sys.argv[1], encoding="utf-8") as f:
        req = json.load(f)
    kind = req["kind"]
    if kind == "file":
        res = encode(Tokenizer.from_file(req["path"]), req)
    elif kind == "vocab":
        tok = BertWordPieceTokenizer(
            req["path"],
            lowercase=req["lowercase"],
            strip_accents=req["strip_accents"],
            handle_chinese_chars=req["handle_chinese_chars"],
        )
        res = encode(tok, req)
    elif kind == "unicode":
        res = [unicode_words(cfg, req["code_points"]) for cfg in req["configs"]]
    else:
        raise SystemExit("unknown kind " + kind)
    with open(sys.argv[2], "w", encoding="utf-8") as f:
        json.dump(res, f)


main()
