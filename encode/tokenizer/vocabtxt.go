package tokenizer

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"unicode"
)

// tokenizerConfig is the part of tokenizer_config.json (Hugging Face
// transformers' BertTokenizer arguments) a BERT tokenizer uses.
type tokenizerConfig struct {
	TokenizerClass       string `json:"tokenizer_class"`
	DoLowerCase          *bool  `json:"do_lower_case"`
	StripAccents         *bool  `json:"strip_accents"`
	TokenizeChineseChars *bool  `json:"tokenize_chinese_chars"`
	DoBasicTokenize      *bool  `json:"do_basic_tokenize"`
	// The special tokens: a string, or an object with "content".
	UnkToken  json.RawMessage `json:"unk_token"`
	SepToken  json.RawMessage `json:"sep_token"`
	PadToken  json.RawMessage `json:"pad_token"`
	ClsToken  json.RawMessage `json:"cls_token"`
	MaskToken json.RawMessage `json:"mask_token"`
}

// fromVocabTxt reads dir/vocab.txt (one token a line, the line number its
// id) and dir/tokenizer_config.json, as tokenizers' BertWordPieceTokenizer
// does: clean_text on, lower-casing, accent stripping and CJK splitting
// as the config says (BertTokenizer's defaults: true, follow lower-casing,
// true), "##" continuations, at most 100 characters a word, and the
// special tokens of the config that the vocabulary holds matched in the
// text.
func fromVocabTxt(dir string) (*Tokenizer, error) {
	vpath := filepath.Join(dir, "vocab.txt")
	cpath := filepath.Join(dir, "tokenizer_config.json")
	vdata, err := os.ReadFile(vpath)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("tokenizer: %s has neither tokenizer.json nor vocab.txt", dir)
	} else if err != nil {
		return nil, fmt.Errorf("tokenizer: %w", err)
	}
	cdata, err := os.ReadFile(cpath)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("tokenizer: %s has vocab.txt but no tokenizer_config.json (or tokenizer.json)", dir)
	} else if err != nil {
		return nil, fmt.Errorf("tokenizer: %w", err)
	}
	var c tokenizerConfig
	if err := json.Unmarshal(cdata, &c); err != nil {
		return nil, fmt.Errorf("tokenizer: %s: %v", cpath, err)
	}
	if c.TokenizerClass != "" && !strings.HasPrefix(c.TokenizerClass, "Bert") && !strings.HasPrefix(c.TokenizerClass, "DistilBert") {
		return nil, fmt.Errorf("tokenizer: %s: tokenizer_class is %q, want BertTokenizer (not a BERT tokenizer)", cpath, c.TokenizerClass)
	}
	if c.DoBasicTokenize != nil && !*c.DoBasicTokenize {
		return nil, fmt.Errorf("tokenizer: %s: do_basic_tokenize false is not supported", cpath)
	}
	flag := func(p *bool, def bool) bool {
		if p == nil {
			return def
		}
		return *p
	}
	lowercase := flag(c.DoLowerCase, true)
	opts := options{cleanText: true, chinese: flag(c.TokenizeChineseChars, true),
		stripAccents: flag(c.StripAccents, lowercase), lowercase: lowercase}

	vocab := readVocab(string(vdata))
	if len(vocab) == 0 {
		return nil, fmt.Errorf("tokenizer: %s is empty", vpath)
	}
	names := map[string]string{}
	for _, s := range []struct {
		field string
		raw   json.RawMessage
		def   string
	}{
		{"unk_token", c.UnkToken, "[UNK]"}, {"sep_token", c.SepToken, "[SEP]"},
		{"cls_token", c.ClsToken, "[CLS]"}, {"pad_token", c.PadToken, "[PAD]"},
		{"mask_token", c.MaskToken, "[MASK]"},
	} {
		name, err := specialName(s.raw, s.def)
		if err != nil {
			return nil, fmt.Errorf("tokenizer: %s: %s: %v", cpath, s.field, err)
		}
		names[s.field] = name
	}
	unk, ok := vocab[names["unk_token"]]
	if !ok {
		return nil, fmt.Errorf("tokenizer: %s: unk_token %q is not in %s", cpath, names["unk_token"], vpath)
	}
	t := &Tokenizer{norm: opts, vocab: newWordPiece(vocab, "##", unk, 100)}
	// BertWordPieceTokenizer's order of special tokens.
	for _, f := range []string{"unk_token", "sep_token", "cls_token", "pad_token", "mask_token"} {
		if id, ok := vocab[names[f]]; ok && names[f] != "" {
			t.added = append(t.added, addedToken{names[f], id})
		}
	}
	cls, okc := vocab[names["cls_token"]]
	sep, oks := vocab[names["sep_token"]]
	if !okc || !oks {
		return nil, fmt.Errorf("tokenizer: %s: cls_token %q or sep_token %q is not in %s", cpath, names["cls_token"], names["sep_token"], vpath)
	}
	t.prefix, t.suffix = []int32{cls}, []int32{sep}
	t.pad, t.hasPad = vocab[names["pad_token"]]
	return t, t.finish(vpath)
}

// readVocab reads vocab.txt as tokenizers does: line i (0-based) is the
// token of id i, trailing white space removed; a token repeated keeps its
// last id.
func readVocab(data string) map[string]int32 {
	lines := strings.Split(data, "\n")
	if lines[len(lines)-1] == "" {
		lines = lines[:len(lines)-1]
	}
	vocab := make(map[string]int32, len(lines))
	for i, l := range lines {
		vocab[strings.TrimRightFunc(l, unicode.IsSpace)] = int32(i)
	}
	return vocab
}

// specialName reads a special token of tokenizer_config.json: a string,
// an object with "content", or absent (def).
func specialName(raw json.RawMessage, def string) (string, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return def, nil
	}
	var s string
	if err := json.Unmarshal(raw, &s); err == nil {
		return s, nil
	}
	var o struct {
		Content string `json:"content"`
	}
	if err := json.Unmarshal(raw, &o); err != nil || o.Content == "" {
		return "", fmt.Errorf("want a string or an object with content, have %s", raw)
	}
	return o.Content, nil
}
