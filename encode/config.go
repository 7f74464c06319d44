package encode

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// config is what the encoder reads from a model directory: the BERT sizes
// of config.json, the modules of modules.json, the pooling of
// 1_Pooling/config.json and the truncation of sentence_bert_config.json.
type config struct {
	Hidden       int     // hidden_size
	Layers       int     // num_hidden_layers
	Heads        int     // num_attention_heads
	Intermediate int     // intermediate_size
	MaxPositions int     // max_position_embeddings
	TypeVocab    int     // type_vocab_size
	Vocab        int     // vocab_size (0 if the file omits it: the weights decide)
	Eps          float64 // layer_norm_eps
	Name         string  // _name_or_path, for the model name when nothing better is known

	Pooling   Pooling
	Normalize bool // modules.json lists sentence_transformers.models.Normalize
	MaxSeq    int  // max_seq_length (MaxPositions when the file is absent)
}

// bertConfig is config.json as Hugging Face transformers writes it.
type bertConfig struct {
	ModelType    string   `json:"model_type"`
	Hidden       int      `json:"hidden_size"`
	Layers       int      `json:"num_hidden_layers"`
	Heads        int      `json:"num_attention_heads"`
	Intermediate int      `json:"intermediate_size"`
	MaxPositions int      `json:"max_position_embeddings"`
	TypeVocab    int      `json:"type_vocab_size"`
	Vocab        int      `json:"vocab_size"`
	Eps          *float64 `json:"layer_norm_eps"`
	Act          string   `json:"hidden_act"`
	PosType      string   `json:"position_embedding_type"`
	Name         string   `json:"_name_or_path"`
}

// module is one entry of modules.json.
type module struct {
	Idx  int    `json:"idx"`
	Name string `json:"name"`
	Path string `json:"path"`
	Type string `json:"type"`
}

// poolingConfig is 1_Pooling/config.json.
type poolingConfig struct {
	Dim      int  `json:"word_embedding_dimension"`
	CLS      bool `json:"pooling_mode_cls_token"`
	Mean     bool `json:"pooling_mode_mean_tokens"`
	Max      bool `json:"pooling_mode_max_tokens"`
	MeanSqrt bool `json:"pooling_mode_mean_sqrt_len_tokens"`
	Weighted bool `json:"pooling_mode_weightedmean_tokens"`
	Last     bool `json:"pooling_mode_lasttoken"`
}

// readJSON decodes the JSON file dir/name into v; a missing file is an
// error wrapping fs.ErrNotExist.
func readJSON(dir, name string, v any) error {
	b, err := os.ReadFile(filepath.Join(dir, name))
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("encode: %s: %s is missing: %w", dir, name, fs.ErrNotExist)
		}
		return fmt.Errorf("encode: %w", err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("encode: %s: %s: %v", dir, name, err)
	}
	return nil
}

// readConfig reads and checks the configuration files of a model
// directory.
func readConfig(dir string) (*config, error) {
	var bc bertConfig
	if err := readJSON(dir, "config.json", &bc); err != nil {
		return nil, err
	}
	bad := func(format string, args ...any) error {
		return fmt.Errorf("encode: %s: config.json: "+format, append([]any{dir}, args...)...)
	}
	if bc.ModelType != "bert" {
		return nil, bad("model_type %q; this encoder runs BERT models (model_type \"bert\")", bc.ModelType)
	}
	if bc.Act != "gelu" {
		return nil, bad("hidden_act %q; want \"gelu\" (the erf form)", bc.Act)
	}
	if bc.PosType != "" && bc.PosType != "absolute" {
		return nil, bad("position_embedding_type %q; want \"absolute\"", bc.PosType)
	}
	for _, f := range []struct {
		name string
		v    int
	}{{"hidden_size", bc.Hidden}, {"num_hidden_layers", bc.Layers}, {"num_attention_heads", bc.Heads},
		{"intermediate_size", bc.Intermediate}, {"max_position_embeddings", bc.MaxPositions}, {"type_vocab_size", bc.TypeVocab}} {
		if f.v < 1 {
			return nil, bad("%s is %d; want a positive size", f.name, f.v)
		}
	}
	if bc.Hidden%bc.Heads != 0 {
		return nil, bad("hidden_size %d is not a multiple of num_attention_heads %d", bc.Hidden, bc.Heads)
	}
	c := &config{Hidden: bc.Hidden, Layers: bc.Layers, Heads: bc.Heads, Intermediate: bc.Intermediate,
		MaxPositions: bc.MaxPositions, TypeVocab: bc.TypeVocab, Vocab: bc.Vocab, Eps: 1e-12, Name: bc.Name,
		MaxSeq: bc.MaxPositions}
	if bc.Eps != nil {
		if !(*bc.Eps > 0) {
			return nil, bad("layer_norm_eps %v; want > 0", *bc.Eps)
		}
		c.Eps = *bc.Eps
	}
	if err := c.readModules(dir); err != nil {
		return nil, err
	}
	var sb struct {
		MaxSeq *int `json:"max_seq_length"`
	}
	switch err := readJSON(dir, "sentence_bert_config.json", &sb); {
	case errors.Is(err, fs.ErrNotExist):
	case err != nil:
		return nil, err
	case sb.MaxSeq != nil:
		if *sb.MaxSeq < 2 || *sb.MaxSeq > bc.MaxPositions {
			return nil, fmt.Errorf("encode: %s: sentence_bert_config.json: max_seq_length %d; want 2 to max_position_embeddings (%d)", dir, *sb.MaxSeq, bc.MaxPositions)
		}
		c.MaxSeq = *sb.MaxSeq
	}
	return c, nil
}

// readModules reads modules.json and the pooling configuration it points
// to: a Transformer first, a Pooling, an optional Normalize, nothing else.
func (c *config) readModules(dir string) error {
	var mods []module
	if err := readJSON(dir, "modules.json", &mods); err != nil {
		return err
	}
	const pre = "sentence_transformers.models."
	var poolPath string
	seen := map[string]bool{}
	for i, m := range mods {
		kind := strings.TrimPrefix(m.Type, pre)
		if seen[kind] {
			return fmt.Errorf("encode: %s: modules.json lists %s twice", dir, m.Type)
		}
		seen[kind] = true
		switch {
		case kind == "Transformer" && i == 0:
		case kind == "Pooling" && i == 1:
			poolPath = m.Path
		case kind == "Normalize" && i == 2:
			c.Normalize = true
		default:
			return fmt.Errorf("encode: %s: modules.json: module %d is %q; this encoder runs Transformer, Pooling and an optional Normalize, in that order", dir, i, m.Type)
		}
	}
	if !seen["Pooling"] {
		return fmt.Errorf("encode: %s: modules.json lists no sentence_transformers.models.Pooling module", dir)
	}
	var pc poolingConfig
	if err := readJSON(dir, filepath.Join(poolPath, "config.json"), &pc); err != nil {
		return err
	}
	var modes []Pooling
	for _, m := range []struct {
		on bool
		p  Pooling
	}{{pc.CLS, PoolCLS}, {pc.Mean, PoolMean}, {pc.Max, PoolMax}} {
		if m.on {
			modes = append(modes, m.p)
		}
	}
	if pc.MeanSqrt || pc.Weighted || pc.Last || len(modes) != 1 {
		return fmt.Errorf("encode: %s: %s/config.json: pooling modes cls=%t mean=%t max=%t mean_sqrt_len=%t weightedmean=%t lasttoken=%t; want exactly one of cls, mean, max",
			dir, poolPath, pc.CLS, pc.Mean, pc.Max, pc.MeanSqrt, pc.Weighted, pc.Last)
	}
	if pc.Dim != 0 && pc.Dim != c.Hidden {
		return fmt.Errorf("encode: %s: %s/config.json: word_embedding_dimension %d differs from hidden_size %d", dir, poolPath, pc.Dim, c.Hidden)
	}
	c.Pooling = modes[0]
	return nil
}

// Pooling is how token vectors become one sentence vector.
type Pooling uint8

const (
	PoolMean Pooling = iota // the mean of every token's vector ([CLS] and [SEP] included)
	PoolCLS                 // the vector of the first token
	PoolMax                 // the largest value of each dimension over the tokens
)

func (p Pooling) String() string {
	switch p {
	case PoolMean:
		return "mean"
	case PoolCLS:
		return "cls"
	case PoolMax:
		return "max"
	}
	return fmt.Sprintf("pooling(%d)", p)
}
