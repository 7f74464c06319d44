package tokenizer

import (
	"strings"
	"sync"
)

// Tokenizer turns text into the token ids of a BERT-family model, equal
// to Hugging Face tokenizers with the same files. It is safe for
// concurrent use.
type Tokenizer struct {
	norm  options
	vocab wordPiece
	// added are the tokens matched in the raw text before normalization
	// (the special tokens), longest first; addedFirst marks their first
	// bytes.
	added      []addedToken
	addedFirst [256]bool
	// prefix and suffix are the special ids around every sequence
	// ([CLS] and [SEP]).
	prefix, suffix []int32
	pad            int32
	hasPad         bool
	vocabSize      int
	truncation     int
	scratch        sync.Pool
}

// options are BertNormalizer's.
type options struct {
	cleanText, chinese, stripAccents, lowercase bool
}

type addedToken struct {
	content string
	id      int32
}

// buffers are the scratch space of one Encode call.
type buffers struct {
	norm, nfd, word []byte
}

// Encode returns the token ids of text: the special prefix ([CLS]), the
// WordPiece ids of the text, the special suffix ([SEP]).
//
// maxTokens > 0 truncates the text's ids so that the result has at most
// maxTokens ids, as tokenizers does with truncation to max_length
// (sentence-transformers sets max_length to max_seq_length): the ids of
// the text are cut at maxTokens minus the number of special ids, and the
// special ids are kept. As in tokenizers, a maxTokens below the number of
// special ids (1 for BERT) truncates nothing. maxTokens <= 0: no limit.
//
// Invalid UTF-8 bytes read as U+FFFD, which clean_text removes. Special
// tokens written in the text ("[SEP]", "[MASK]") give their ids, as in
// tokenizers.
func (t *Tokenizer) Encode(text string, maxTokens int) []int32 {
	limit := -1
	if n := len(t.prefix) + len(t.suffix); maxTokens > 0 && maxTokens >= n {
		limit = maxTokens - n
	}
	b, _ := t.scratch.Get().(*buffers)
	if b == nil {
		b = new(buffers)
	}
	defer t.scratch.Put(b)

	ids := make([]int32, 0, min(len(text)/3+len(t.prefix)+len(t.suffix)+1, 1024))
	ids = append(ids, t.prefix...)
	body := len(ids)
	stop := -1 // the length of ids at which the text's ids are complete
	if limit >= 0 {
		stop = body + limit
	}
	for text != "" && (stop < 0 || len(ids) < stop) {
		i, tok := t.nextAdded(text)
		ids = t.segment(ids, text[:i], b, stop)
		if tok == nil {
			break
		}
		ids = append(ids, tok.id)
		text = text[i+len(tok.content):]
	}
	if stop >= 0 && len(ids) > stop {
		ids = ids[:stop]
	}
	return append(ids, t.suffix...)
}

// nextAdded returns the byte offset of the leftmost special token in
// text and the longest special token there, or len(text) and nil.
func (t *Tokenizer) nextAdded(text string) (int, *addedToken) {
	if len(t.added) == 0 {
		return len(text), nil
	}
	for i := 0; i < len(text); i++ {
		if !t.addedFirst[text[i]] {
			continue
		}
		for k := range t.added { // longest first
			if strings.HasPrefix(text[i:], t.added[k].content) {
				return i, &t.added[k]
			}
		}
	}
	return len(text), nil
}

// PadID returns the id of the padding token, and whether the model
// names one (tokenizer.json's padding, else its [PAD] token).
func (t *Tokenizer) PadID() (int32, bool) { return t.pad, t.hasPad }

// UnknownID returns the id WordPiece gives a word it cannot split.
func (t *Tokenizer) UnknownID() int32 { return t.vocab.unk }

// VocabSize returns one more than the largest token id, the number of
// rows the model's word embedding needs.
func (t *Tokenizer) VocabSize() int { return t.vocabSize }

// ID returns the id of token, a vocabulary entry or a special token, and
// whether it has one.
func (t *Tokenizer) ID(token string) (int32, bool) {
	for _, a := range t.added {
		if a.content == token {
			return a.id, true
		}
	}
	id, ok := t.vocab.words[token]
	return id, ok
}

// SpecialIDs returns the ids Encode puts before and after the text's ids
// ([CLS] and [SEP] for BERT). The slices are the tokenizer's: do not
// modify them.
func (t *Tokenizer) SpecialIDs() (prefix, suffix []int32) { return t.prefix, t.suffix }

// TruncationLength returns tokenizer.json's truncation max_length, or 0
// when it names none (or the model came from vocab.txt).
// sentence-transformers ignores it and truncates at max_seq_length from
// sentence_bert_config.json.
func (t *Tokenizer) TruncationLength() int { return t.truncation }
