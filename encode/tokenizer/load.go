package tokenizer

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
)

// Load reads the tokenizer of the model directory dir (a
// sentence-transformers or Hugging Face directory): tokenizer.json when
// the directory has one, else vocab.txt with tokenizer_config.json.
//
// tokenizer.json must describe a BERT tokenizer: normalizer
// BertNormalizer, pre_tokenizer BertPreTokenizer, model WordPiece,
// post_processor TemplateProcessing (or BertProcessing) that puts special
// tokens around the sequence, added tokens matched as written (normalized
// false, no lstrip, rstrip or single_word). Anything else is refused with
// an error naming the file and the field.
func Load(dir string) (*Tokenizer, error) {
	path := filepath.Join(dir, "tokenizer.json")
	data, err := os.ReadFile(path)
	switch {
	case err == nil:
		return fromJSON(path, data)
	case !errors.Is(err, fs.ErrNotExist):
		return nil, fmt.Errorf("tokenizer: %w", err)
	}
	return fromVocabTxt(dir)
}

// tokenizerJSON is the part of tokenizer.json a BERT tokenizer uses.
type tokenizerJSON struct {
	AddedTokens []addedTokenJSON `json:"added_tokens"`
	Normalizer  *struct {
		Type               string `json:"type"`
		CleanText          *bool  `json:"clean_text"`
		HandleChineseChars *bool  `json:"handle_chinese_chars"`
		StripAccents       *bool  `json:"strip_accents"`
		Lowercase          *bool  `json:"lowercase"`
	} `json:"normalizer"`
	PreTokenizer *struct {
		Type string `json:"type"`
	} `json:"pre_tokenizer"`
	Model *struct {
		Type                    string           `json:"type"`
		Vocab                   map[string]int32 `json:"vocab"`
		UnkToken                string           `json:"unk_token"`
		ContinuingSubwordPrefix string           `json:"continuing_subword_prefix"`
		MaxInputCharsPerWord    int              `json:"max_input_chars_per_word"`
	} `json:"model"`
	PostProcessor *struct {
		Type          string                       `json:"type"`
		Single        []map[string]templatePiece   `json:"single"`
		SpecialTokens map[string]templateSpecialID `json:"special_tokens"`
		Cls           []json.RawMessage            `json:"cls"`
		Sep           []json.RawMessage            `json:"sep"`
	} `json:"post_processor"`
	Truncation *struct {
		MaxLength int `json:"max_length"`
	} `json:"truncation"`
	Padding *struct {
		PadID int32 `json:"pad_id"`
	} `json:"padding"`
}

type addedTokenJSON struct {
	ID         int32  `json:"id"`
	Content    string `json:"content"`
	SingleWord bool   `json:"single_word"`
	Lstrip     bool   `json:"lstrip"`
	Rstrip     bool   `json:"rstrip"`
	Normalized bool   `json:"normalized"`
}

type templatePiece struct {
	ID string `json:"id"`
}

type templateSpecialID struct {
	IDs []int32 `json:"ids"`
}

func fromJSON(path string, data []byte) (*Tokenizer, error) {
	var j tokenizerJSON
	if err := json.Unmarshal(data, &j); err != nil {
		return nil, fmt.Errorf("tokenizer: %s: %v", path, err)
	}
	bad := func(format string, args ...any) error {
		return fmt.Errorf("tokenizer: %s: "+format+" (not a BERT tokenizer)", append([]any{path}, args...)...)
	}
	switch {
	case j.Normalizer == nil:
		return nil, bad("normalizer is null, want BertNormalizer")
	case j.Normalizer.Type != "BertNormalizer":
		return nil, bad("normalizer.type is %q, want BertNormalizer", j.Normalizer.Type)
	case j.PreTokenizer == nil:
		return nil, bad("pre_tokenizer is null, want BertPreTokenizer")
	case j.PreTokenizer.Type != "BertPreTokenizer":
		return nil, bad("pre_tokenizer.type is %q, want BertPreTokenizer", j.PreTokenizer.Type)
	case j.Model == nil:
		return nil, bad("model is missing, want WordPiece")
	case j.Model.Type != "WordPiece":
		return nil, bad("model.type is %q, want WordPiece", j.Model.Type)
	case j.PostProcessor == nil:
		return nil, bad("post_processor is null, want TemplateProcessing or BertProcessing")
	}
	m := j.Model
	if len(m.Vocab) == 0 {
		return nil, fmt.Errorf("tokenizer: %s: model.vocab is empty", path)
	}
	unk, ok := m.Vocab[m.UnkToken]
	if !ok {
		return nil, fmt.Errorf("tokenizer: %s: model.unk_token %q is not in model.vocab", path, m.UnkToken)
	}
	if m.MaxInputCharsPerWord <= 0 {
		return nil, fmt.Errorf("tokenizer: %s: model.max_input_chars_per_word is %d, want > 0", path, m.MaxInputCharsPerWord)
	}
	n := j.Normalizer
	for _, f := range []struct {
		name string
		v    *bool
	}{{"clean_text", n.CleanText}, {"handle_chinese_chars", n.HandleChineseChars}, {"lowercase", n.Lowercase}} {
		if f.v == nil {
			return nil, fmt.Errorf("tokenizer: %s: normalizer.%s is missing or null, want true or false", path, f.name)
		}
	}
	t := &Tokenizer{
		norm: options{cleanText: *n.CleanText, chinese: *n.HandleChineseChars,
			stripAccents: *n.Lowercase, lowercase: *n.Lowercase},
		vocab: newWordPiece(m.Vocab, m.ContinuingSubwordPrefix, unk, m.MaxInputCharsPerWord),
	}
	if n.StripAccents != nil { // null: follow lowercase
		t.norm.stripAccents = *n.StripAccents
	}
	for i, a := range j.AddedTokens {
		field := fmt.Sprintf("added_tokens[%d] %q", i, a.Content)
		switch {
		case a.Content == "":
			return nil, fmt.Errorf("tokenizer: %s: %s: empty content", path, field)
		case a.Normalized || a.Lstrip || a.Rstrip || a.SingleWord:
			return nil, fmt.Errorf("tokenizer: %s: %s: normalized, lstrip, rstrip and single_word must be false (unsupported)", path, field)
		case a.ID < 0:
			return nil, fmt.Errorf("tokenizer: %s: %s: negative id %d", path, field, a.ID)
		}
		t.added = append(t.added, addedToken{a.Content, a.ID})
	}
	if err := t.postProcessor(path, &j); err != nil {
		return nil, err
	}
	if j.Truncation != nil {
		t.truncation = j.Truncation.MaxLength
	}
	if j.Padding != nil {
		t.pad, t.hasPad = j.Padding.PadID, true
	} else {
		t.pad, t.hasPad = t.ID("[PAD]")
	}
	return t, t.finish(path)
}

// postProcessor reads the special ids around a single sequence.
func (t *Tokenizer) postProcessor(path string, j *tokenizerJSON) error {
	p := j.PostProcessor
	switch p.Type {
	case "BertProcessing":
		cls, err := bertProcessingID(p.Cls)
		if err != nil {
			return fmt.Errorf("tokenizer: %s: post_processor.cls: %v", path, err)
		}
		sep, err := bertProcessingID(p.Sep)
		if err != nil {
			return fmt.Errorf("tokenizer: %s: post_processor.sep: %v", path, err)
		}
		t.prefix, t.suffix = []int32{cls}, []int32{sep}
		return nil
	case "TemplateProcessing":
	default:
		return fmt.Errorf("tokenizer: %s: post_processor.type is %q, want TemplateProcessing or BertProcessing (not a BERT tokenizer)", path, p.Type)
	}
	seen := false
	for i, piece := range p.Single {
		if s, ok := piece["Sequence"]; ok {
			if seen || s.ID != "A" {
				return fmt.Errorf("tokenizer: %s: post_processor.single[%d]: want one Sequence A", path, i)
			}
			seen = true
			continue
		}
		s, ok := piece["SpecialToken"]
		if !ok {
			return fmt.Errorf("tokenizer: %s: post_processor.single[%d]: want SpecialToken or Sequence", path, i)
		}
		sp, ok := p.SpecialTokens[s.ID]
		if !ok || len(sp.IDs) == 0 {
			return fmt.Errorf("tokenizer: %s: post_processor.single[%d]: special token %q not in post_processor.special_tokens", path, i, s.ID)
		}
		if seen {
			t.suffix = append(t.suffix, sp.IDs...)
		} else {
			t.prefix = append(t.prefix, sp.IDs...)
		}
	}
	if !seen {
		return fmt.Errorf("tokenizer: %s: post_processor.single has no Sequence A", path)
	}
	return nil
}

// bertProcessingID reads BertProcessing's ["[CLS]", 101].
func bertProcessingID(pair []json.RawMessage) (int32, error) {
	var id int32
	if len(pair) != 2 {
		return 0, fmt.Errorf("want [token, id], have %d elements", len(pair))
	}
	if err := json.Unmarshal(pair[1], &id); err != nil {
		return 0, fmt.Errorf("id: %v", err)
	}
	return id, nil
}

// finish sorts the special tokens for matching and sets the vocabulary
// size.
func (t *Tokenizer) finish(path string) error {
	sort.SliceStable(t.added, func(a, b int) bool { return len(t.added[a].content) > len(t.added[b].content) })
	for _, a := range t.added {
		t.addedFirst[a.content[0]] = true
		t.vocabSize = max(t.vocabSize, int(a.id)+1)
	}
	for tok, id := range t.vocab.words {
		if id < 0 {
			return fmt.Errorf("tokenizer: %s: token %q has negative id %d", path, tok, id)
		}
		t.vocabSize = max(t.vocabSize, int(id)+1)
	}
	for _, id := range append(append([]int32(nil), t.prefix...), t.suffix...) {
		if id < 0 || int(id) >= t.vocabSize {
			return fmt.Errorf("tokenizer: %s: special id %d outside the vocabulary (%d ids)", path, id, t.vocabSize)
		}
	}
	return nil
}
