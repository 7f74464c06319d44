package encode

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/silica-go/silica/encode/tokenizer"
	"github.com/silica-go/silica/engine"
	"github.com/silica-go/silica/internal/par"
)

// DefaultBatchTokens is the token budget of a batch on the CPU when
// Options leave it zero: a batch's activations stay in the caches.
const DefaultBatchTokens = 512

// DefaultDeviceBatchTokens is the token budget of a batch on a GPU (an
// engine whose device is not the CPU) when Options leave it zero: each
// batch costs a fixed number of kernel launches, so larger batches keep
// the device busy (a batch of 8192 tokens takes about 100 MB of
// activations for a 384-wide model).
const DefaultDeviceBatchTokens = 8192

// batchTokens is the default token budget of a batch on e.
func batchTokens(e *engine.Engine) int {
	if e.Device().Device == "cpu" {
		return DefaultBatchTokens
	}
	return DefaultDeviceBatchTokens
}

// Options configure Load.
type Options struct {
	// Engine runs the forward pass; nil means engine.Default().
	Engine *engine.Engine
	// BatchTokens is the most tokens one batch packs (texts are sorted by
	// length and packed without padding); 0 means DefaultBatchTokens on
	// the CPU and DefaultDeviceBatchTokens on a GPU. A
	// text longer than the budget is a batch of its own.
	BatchTokens int
	// Progress, if set, is called after each batch with the number of
	// texts encoded so far and the total, from the goroutine that called
	// EncodeIDs.
	Progress func(done, total int)
	// DType stores the weight matrices and embedding tables as Float32
	// (the default when zero), Float16 or BFloat16; products then round
	// their activations to it and accumulate in float32. Biases, layer
	// norms and everything between the products stay float32.
	DType engine.DType
	// Name overrides the model name (by default taken from the
	// directory: see Encoder.Name).
	Name string
}

// Encoder is a BERT sentence-transformers model on an engine. It is safe
// for concurrent use (the engine runs one evaluation at a time).
type Encoder struct {
	cfg   *config
	tok   *tokenizer.Tokenizer
	w     *weights
	e     *engine.Engine
	opts  Options
	dtype engine.DType
	name  string
	dir   string        // the model directory, absolute
	sum   string        // hex SHA-256 of model.safetensors
	one   *engine.Array // [1]
}

// Load reads the sentence-transformers model directory dir: config.json
// (model_type "bert", hidden_act "gelu"; the sizes decide everything),
// modules.json (Transformer, Pooling, optional Normalize),
// <pooling>/config.json (exactly one of mean, cls, max),
// sentence_bert_config.json (max_seq_length; optional) and
// model.safetensors (F32, F16 or BF16; names with or without "bert.").
// A missing or malformed file, an unsupported setting, and a missing or
// misshapen tensor are one-line errors naming the file and the tensor.
func Load(dir string, opts Options) (*Encoder, error) {
	cfg, err := readConfig(dir)
	if err != nil {
		return nil, err
	}
	if opts.BatchTokens < 0 {
		return nil, fmt.Errorf("encode: BatchTokens %d; want 0 (the default) or more", opts.BatchTokens)
	}
	switch opts.DType {
	case 0:
		opts.DType = engine.Float32
	case engine.Float32, engine.Float16, engine.BFloat16:
	default:
		return nil, fmt.Errorf("encode: DType %s; want Float32, Float16 or BFloat16", opts.DType)
	}
	e := opts.Engine
	if e == nil {
		if e, err = engine.Default(); err != nil {
			return nil, fmt.Errorf("encode: %w", err)
		}
	}
	if opts.BatchTokens == 0 {
		opts.BatchTokens = batchTokens(e)
	}
	tok, err := tokenizer.Load(dir)
	if err != nil {
		return nil, fmt.Errorf("encode: %w", err)
	}
	sum, err := fileSHA256(filepath.Join(dir, "model.safetensors"))
	if err != nil {
		return nil, err
	}
	w, err := loadWeights(dir, cfg, e, opts.DType)
	if err != nil {
		return nil, err
	}
	m := &Encoder{cfg: cfg, tok: tok, w: w, e: e, opts: opts, dtype: opts.DType, sum: sum, name: opts.Name}
	if m.name == "" {
		m.name = modelName(dir)
	}
	if m.dir, err = filepath.Abs(dir); err != nil {
		m.dir = dir
	}
	if m.one, err = e.Full(1, engine.Float32, 1); err != nil {
		m.Close()
		return nil, fmt.Errorf("encode: %w", err)
	}
	return m, nil
}

// fileSHA256 returns the hex SHA-256 of a file's bytes.
func fileSHA256(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", fmt.Errorf("encode: %w", err)
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", fmt.Errorf("encode: %w", err)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// modelName names a model directory: "owner/name" for a Hugging Face
// cache directory (models--owner--name/snapshots/<hash>), else the
// directory's base name, with its parent's when the base is the generic
// "model".
func modelName(dir string) string {
	abs, err := filepath.Abs(dir)
	if err != nil {
		abs = dir
	}
	parts := strings.Split(filepath.ToSlash(abs), "/")
	for _, p := range parts {
		if s, ok := strings.CutPrefix(p, "models--"); ok {
			return strings.ReplaceAll(s, "--", "/")
		}
	}
	base := parts[len(parts)-1]
	if base == "model" && len(parts) > 1 {
		return parts[len(parts)-2] + "/" + base
	}
	return base
}

// Close releases the encoder's arrays (not its engine).
func (m *Encoder) Close() error {
	if m.w != nil {
		m.w.free()
		m.w = nil
	}
	if m.one != nil {
		m.one.Free()
	}
	m.one = nil
	return nil
}

// Dim returns the length of an embedding (hidden_size).
func (m *Encoder) Dim() int { return m.cfg.Hidden }

// MaxTokens returns the most tokens of one text, [CLS] and [SEP]
// included (max_seq_length): the limit to give the tokenizer.
func (m *Encoder) MaxTokens() int { return m.cfg.MaxSeq }

// Name returns the model's name (Options.Name, else derived from its
// directory).
func (m *Encoder) Name() string { return m.name }

// Dir returns the model directory (absolute).
func (m *Encoder) Dir() string { return m.dir }

// WeightsSHA256 returns the hex SHA-256 of model.safetensors, which
// identifies the weights (for a store's manifest).
func (m *Encoder) WeightsSHA256() string { return m.sum }

// BatchTokens returns the token budget of a batch (Options.BatchTokens,
// or the default for the engine's device).
func (m *Encoder) BatchTokens() int { return m.opts.BatchTokens }

// Pooling returns the model's pooling mode.
func (m *Encoder) Pooling() Pooling { return m.cfg.Pooling }

// Normalized reports whether embeddings are L2-normalized (modules.json
// lists Normalize).
func (m *Encoder) Normalized() bool { return m.cfg.Normalize }

// Engine returns the engine the encoder runs on.
func (m *Encoder) Engine() *engine.Engine { return m.e }

// Encode returns the embedding [Dim()] of each text, in the order given:
// each text tokenized as sentence-transformers does (the directory's
// tokenizer, truncated at MaxTokens()), then EncodeIDs. An empty text is
// encoded as [CLS] [SEP], as sentence-transformers does.
func (m *Encoder) Encode(texts []string) ([][]float32, error) {
	if m.w == nil {
		return nil, fmt.Errorf("encode: the encoder is closed")
	}
	return m.EncodeIDs(tokenize(m.tok, texts, m.cfg.MaxSeq))
}

// tokenizeChunk is the texts one goroutine of tokenize takes at a time.
const tokenizeChunk = 1024

// tokenize returns tok's ids of each text, truncated at max tokens, split
// over the cores when there are many texts (the tokenizer is safe for
// concurrent use): a million short texts take seconds on one core.
func tokenize(tok *tokenizer.Tokenizer, texts []string, max int) [][]int32 {
	ids := make([][]int32, len(texts))
	par.Chunks(len(texts), tokenizeChunk, func(lo, hi int) {
		for i := lo; i < hi; i++ {
			ids[i] = tok.Encode(texts[i], max)
		}
	})
	return ids
}

// Tokenize returns the token ids of each text as Encode feeds them to
// EncodeIDs (truncated at MaxTokens()), split over the cores when there
// are thousands of texts.
func (m *Encoder) Tokenize(texts []string) [][]int32 {
	return tokenize(m.tok, texts, m.cfg.MaxSeq)
}

// Tokenizer returns the model directory's tokenizer.
func (m *Encoder) Tokenizer() *tokenizer.Tokenizer { return m.tok }

// EncodeIDs returns the embedding [Dim()] of each text given as token ids
// (as the tokenizer gives them: [CLS] ... [SEP], at most MaxTokens()), in
// the order given. Texts are sorted by length and packed into batches of
// at most Options.BatchTokens tokens with no padding; Options.Progress is
// told after each batch. An empty text, one over MaxTokens(), or an id
// outside the vocabulary is an error naming the text, before any work.
func (m *Encoder) EncodeIDs(batch [][]int32) ([][]float32, error) {
	if m.w == nil {
		return nil, fmt.Errorf("encode: the encoder is closed")
	}
	for i, ids := range batch {
		if len(ids) == 0 {
			return nil, fmt.Errorf("encode: text %d has no tokens; want at least [CLS] and [SEP]", i)
		}
		if len(ids) > m.cfg.MaxSeq {
			return nil, fmt.Errorf("encode: text %d has %d tokens; the model takes at most %d (truncate with the tokenizer)", i, len(ids), m.cfg.MaxSeq)
		}
		for _, id := range ids {
			if id < 0 || int(id) >= m.w.vocab {
				return nil, fmt.Errorf("encode: text %d has token id %d, outside the vocabulary [0, %d)", i, id, m.w.vocab)
			}
		}
	}
	order := byLength(batch, m.cfg.MaxSeq)
	out := make([][]float32, len(batch))
	for start := 0; start < len(order); {
		end, tokens := start, 0
		for end < len(order) && (end == start || tokens+len(batch[order[end]]) <= m.opts.BatchTokens) {
			tokens += len(batch[order[end]])
			end++
		}
		texts := make([][]int32, end-start)
		for i := range texts {
			texts[i] = batch[order[start+i]]
		}
		vecs, err := m.encodeBatch(texts, tokens)
		if err != nil {
			return nil, err
		}
		for i, v := range vecs {
			out[order[start+i]] = v
		}
		start = end
		if m.opts.Progress != nil {
			m.opts.Progress(start, len(batch))
		}
	}
	return out, nil
}

// byLength returns the indices of the texts sorted by length, texts of
// equal length in their order (a counting sort: lengths are at most
// maxLen, and a million texts sort in milliseconds).
func byLength(texts [][]int32, maxLen int) []int {
	start := make([]int, maxLen+2)
	for _, t := range texts {
		start[len(t)+1]++
	}
	for l := 1; l < len(start); l++ {
		start[l] += start[l-1]
	}
	order := make([]int, len(texts))
	for i, t := range texts {
		order[start[len(t)]] = i
		start[len(t)]++
	}
	return order
}

// encodeBatch runs one packed batch of n tokens in all.
func (m *Encoder) encodeBatch(texts [][]int32, n int) ([][]float32, error) {
	ids := make([]int32, 0, n)
	pos := make([]int32, 0, n)
	spans := make([]span, len(texts))
	for i, t := range texts {
		spans[i] = span{len(ids), len(ids) + len(t)}
		ids = append(ids, t...)
		for p := range t {
			pos = append(pos, int32(p))
		}
	}
	g := &graph{m: m}
	ia := g.keep(m.e.FromInt32(ids, n))
	pa := g.keep(m.e.FromInt32(pos, n))
	res := g.forward(ia, pa, spans, n)
	if g.err != nil {
		return nil, fmt.Errorf("encode: build the forward pass: %w", g.err)
	}
	flat, err := res.Float32()
	res.Free()
	ia.Free()
	pa.Free()
	if err != nil {
		return nil, fmt.Errorf("encode: %w", err)
	}
	h := m.cfg.Hidden
	vecs := make([][]float32, len(texts))
	for i := range vecs {
		vecs[i] = flat[i*h : (i+1)*h : (i+1)*h]
	}
	return vecs, nil
}
