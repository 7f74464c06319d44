package encode

import (
	"encoding/binary"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/silica-go/silica/cpu"
	"github.com/silica-go/silica/encode/safetensors"
	"github.com/silica-go/silica/engine"
)

// copyModel makes a copy of the model directory src in a temporary
// directory: the configuration files copied (so a test may edit them),
// model.safetensors linked.
func copyModel(t *testing.T, src string) string {
	t.Helper()
	dst := filepath.Join(t.TempDir(), "model")
	for _, name := range []string{"config.json", "modules.json", "sentence_bert_config.json", "1_Pooling/config.json",
		"tokenizer.json", "tokenizer_config.json", "vocab.txt", "special_tokens_map.json", "config_sentence_transformers.json"} {
		b, err := os.ReadFile(filepath.Join(src, name))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.MkdirAll(filepath.Dir(filepath.Join(dst, name)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dst, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Symlink(filepath.Join(src, "model.safetensors"), filepath.Join(dst, "model.safetensors")); err != nil {
		t.Fatal(err)
	}
	return dst
}

// editJSON rewrites the JSON file dir/name through edit.
func editJSON[T any](t *testing.T, dir, name string, edit func(*T)) {
	t.Helper()
	path := filepath.Join(dir, name)
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var v T
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatal(err)
	}
	edit(&v)
	if b, err = json.MarshalIndent(v, "", "  "); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// setPooling turns on exactly the named pooling mode of a model copy.
func setPooling(t *testing.T, dir, mode string) {
	editJSON(t, dir, "1_Pooling/config.json", func(m *map[string]any) {
		for _, k := range []string{"cls_token", "mean_tokens", "max_tokens"} {
			(*m)["pooling_mode_"+k] = k == mode
		}
	})
}

// dropNormalize removes the Normalize module of a model copy.
func dropNormalize(t *testing.T, dir string) {
	editJSON(t, dir, "modules.json", func(m *[]map[string]any) { *m = (*m)[:2] })
}

// TestPoolingVariants: CLS pooling, max pooling without Normalize and mean
// pooling without Normalize, each on a copy of the model directory with
// edited configs, against sentence-transformers loading the same copy.
func TestPoolingVariants(t *testing.T) {
	t.Parallel() // most of the time is Python starting: overlap it
	src := modelDir(t)
	cls, maxNoNorm, meanNoNorm := copyModel(t, src), copyModel(t, src), copyModel(t, src)
	setPooling(t, cls, "cls_token")
	setPooling(t, maxNoNorm, "max_tokens")
	dropNormalize(t, maxNoNorm)
	dropNormalize(t, meanNoNorm)
	ref := loadReference(t, 30, 5, cls, maxNoNorm, meanNoNorm)
	for i, c := range []struct {
		pool Pooling
		norm bool
	}{{PoolCLS, true}, {PoolMax, false}, {PoolMean, false}} {
		run := ref.Runs[i]
		m, err := Load(run.Dir, Options{Engine: cpuEngine(), BatchTokens: 300})
		if err != nil {
			t.Fatal(err)
		}
		if m.Pooling() != c.pool || m.Normalized() != c.norm {
			t.Fatalf("%s: pooling %s, normalized %t; want %s, %t", run.Dir, m.Pooling(), m.Normalized(), c.pool, c.norm)
		}
		got, err := m.EncodeIDs(run.IDs)
		if err != nil {
			t.Fatal(err)
		}
		name := c.pool.String()
		if !c.norm {
			name += " without normalize"
			var far float64
			for j, v := range got { // the norms must be sentence-transformers' too
				var a, b float64
				for d := range v {
					a += float64(v[d]) * float64(v[d])
					b += run.Emb[j][d] * run.Emb[j][d]
				}
				far = max(far, a/b-1, 1-a/b)
			}
			if far > 1e-4 {
				t.Errorf("%s: squared norms differ from sentence-transformers' by up to %.2g (relative)", name, far)
			}
		}
		compare(t, name, got, run.Emb, c.norm)
		m.Close()
	}
}

// writeWithout writes a copy of the safetensors file src without the
// tensor drop (the header rewritten, the data section unchanged).
func writeWithout(t *testing.T, src, dst, drop string) {
	t.Helper()
	b, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	n := binary.LittleEndian.Uint64(b)
	var h map[string]json.RawMessage
	if err := json.Unmarshal(b[8:8+n], &h); err != nil {
		t.Fatal(err)
	}
	if _, ok := h[drop]; !ok {
		t.Fatalf("%s has no tensor %s", src, drop)
	}
	delete(h, drop)
	js, err := json.Marshal(h)
	if err != nil {
		t.Fatal(err)
	}
	out := binary.LittleEndian.AppendUint64(nil, uint64(len(js)))
	out = append(append(out, js...), b[8+n:]...)
	if err := os.Remove(dst); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dst, out, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := safetensors.Open(dst); err != nil {
		t.Fatal(err)
	}
}

// TestBadDirectories: each broken model directory gives a one-line error
// that says what is wrong.
func TestBadDirectories(t *testing.T) {
	t.Parallel() // most of the time is Python starting: overlap it
	src := modelDir(t)
	cases := []struct {
		name   string
		break_ func(dir string)
		want   string
	}{
		{"no config.json", func(d string) { os.Remove(filepath.Join(d, "config.json")) }, "config.json is missing"},
		{"no modules.json", func(d string) { os.Remove(filepath.Join(d, "modules.json")) }, "modules.json is missing"},
		{"no pooling config", func(d string) { os.Remove(filepath.Join(d, "1_Pooling/config.json")) }, "1_Pooling/config.json is missing"},
		{"no weights", func(d string) { os.Remove(filepath.Join(d, "model.safetensors")) }, "model.safetensors: no such file"},
		{"model_type", func(d string) {
			editJSON(t, d, "config.json", func(m *map[string]any) { (*m)["model_type"] = "roberta" })
		}, `model_type "roberta"`},
		{"activation", func(d string) {
			editJSON(t, d, "config.json", func(m *map[string]any) { (*m)["hidden_act"] = "relu" })
		}, `hidden_act "relu"`},
		{"heads", func(d string) {
			editJSON(t, d, "config.json", func(m *map[string]any) { (*m)["num_attention_heads"] = 7 })
		}, "not a multiple of num_attention_heads 7"},
		{"misshapen tensor", func(d string) {
			editJSON(t, d, "config.json", func(m *map[string]any) { (*m)["intermediate_size"] = 1000 })
		}, `tensor "encoder.layer.0.intermediate.dense.weight" is [1536 384]; config.json wants [1000 384]`},
		{"more layers than weights", func(d string) {
			editJSON(t, d, "config.json", func(m *map[string]any) { (*m)["num_hidden_layers"] = 7 })
		}, `tensor "encoder.layer.6.attention.self.query.weight" is missing`},
		{"missing tensor", func(d string) {
			writeWithout(t, filepath.Join(src, "model.safetensors"), filepath.Join(d, "model.safetensors"), "encoder.layer.3.output.LayerNorm.bias")
		}, `tensor "encoder.layer.3.output.LayerNorm.bias" is missing`},
		{"two pooling modes", func(d string) {
			editJSON(t, d, "1_Pooling/config.json", func(m *map[string]any) { (*m)["pooling_mode_cls_token"] = true })
		}, "want exactly one of cls, mean, max"},
		{"unknown module", func(d string) {
			editJSON(t, d, "modules.json", func(m *[]map[string]any) { (*m)[2]["type"] = "sentence_transformers.models.Dense" })
		}, `module 2 is "sentence_transformers.models.Dense"`},
		{"max_seq_length", func(d string) {
			editJSON(t, d, "sentence_bert_config.json", func(m *map[string]any) { (*m)["max_seq_length"] = 513 })
		}, "max_seq_length 513"},
		{"bad json", func(d string) { os.WriteFile(filepath.Join(d, "config.json"), []byte("{"), 0o644) }, "config.json: unexpected end"},
	}
	for _, c := range cases {
		dir := copyModel(t, src)
		c.break_(dir)
		_, err := Load(dir, Options{Engine: cpuEngine()})
		if err == nil || !strings.Contains(err.Error(), c.want) || strings.Contains(err.Error(), "\n") {
			t.Errorf("%s: Load: %v; want one line containing %q", c.name, err, c.want)
		}
	}
}

// TestBadIDs: EncodeIDs refuses empty texts, texts over MaxTokens and ids
// outside the vocabulary, naming the text.
func TestBadIDs(t *testing.T) {
	t.Parallel() // most of the time is Python starting: overlap it
	m, err := Load(modelDir(t), Options{Engine: cpuEngine()})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	long := make([]int32, m.MaxTokens()+1)
	for _, c := range []struct {
		ids  [][]int32
		want string
	}{
		{[][]int32{{101, 102}, {}}, "text 1 has no tokens"},
		{[][]int32{long}, "text 0 has 257 tokens; the model takes at most 256"},
		{[][]int32{{101, 30522, 102}}, "text 0 has token id 30522, outside the vocabulary [0, 30522)"},
		{[][]int32{{101, 102}, {101, -1, 102}}, "text 1 has token id -1"},
	} {
		if _, err := m.EncodeIDs(c.ids); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("EncodeIDs: %v; want %q", err, c.want)
		}
	}
	if got, err := m.EncodeIDs(nil); err != nil || len(got) != 0 {
		t.Errorf("EncodeIDs(nil) = %v, %v", got, err)
	}
}

// TestOtherSizes: a small BERT of other sizes (hidden 48, 3 layers, 4
// heads, intermediate 100, 96 positions, max_seq_length 80, eps 1e-6), its
// random weights stored as F16 under "bert." names, CLS pooling without
// Normalize, against sentence-transformers loading the same directory.
func TestOtherSizes(t *testing.T) {
	t.Parallel() // most of the time is Python starting: overlap it
	src := modelDir(t)
	dir := filepath.Join(t.TempDir(), "tiny")
	runPython(t, "tiny", src, dir)
	ref := loadReference(t, 60, 9, dir)
	run := ref.Runs[0]
	m, err := Load(dir, Options{Engine: cpuEngine(), BatchTokens: 150})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	if m.Dim() != 48 || m.MaxTokens() != 80 || m.Pooling() != PoolCLS || m.Normalized() {
		t.Fatalf("Load: dim %d, max tokens %d, pooling %s, normalized %t", m.Dim(), m.MaxTokens(), m.Pooling(), m.Normalized())
	}
	got, err := m.EncodeIDs(run.IDs)
	if err != nil {
		t.Fatal(err)
	}
	compare(t, "tiny", got, run.Emb, false)
}

// TestIdentity: the weights hash is the SHA-256 of model.safetensors as
// Python's hashlib computes it, and the name comes from the directory
// (or Options.Name).
func TestIdentity(t *testing.T) {
	t.Parallel() // most of the time is Python starting: overlap it
	dir := modelDir(t)
	py := python(t)
	out, err := exec.Command(py, "-c", "import hashlib, sys; print(hashlib.sha256(open(sys.argv[1], 'rb').read()).hexdigest())",
		filepath.Join(dir, "model.safetensors")).Output()
	if err != nil {
		t.Fatal(err)
	}
	m, err := Load(dir, Options{Engine: cpuEngine()})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	if got, want := m.WeightsSHA256(), strings.TrimSpace(string(out)); got != want {
		t.Errorf("WeightsSHA256 = %s; hashlib says %s", got, want)
	}
	if got, want := m.Name(), filepath.Base(filepath.Dir(dir))+"/model"; got != want {
		t.Errorf("Name = %q; want %q", got, want)
	}
	for path, want := range map[string]string{
		"/home/u/.cache/huggingface/hub/models--sentence-transformers--all-MiniLM-L6-v2/snapshots/abc": "sentence-transformers/all-MiniLM-L6-v2",
		"/models/bge-small-en": "bge-small-en",
	} {
		if got := modelName(path); got != want {
			t.Errorf("modelName(%s) = %q; want %q", path, got, want)
		}
	}
	named, err := Load(dir, Options{Engine: cpuEngine(), Name: "minilm"})
	if err != nil {
		t.Fatal(err)
	}
	defer named.Close()
	if named.Name() != "minilm" {
		t.Errorf("Name with Options.Name = %q", named.Name())
	}
	// The default token budget follows the device: small batches on the
	// CPU, large ones on a GPU; Options.BatchTokens wins on either.
	b, err := cpu.New()
	if err != nil {
		t.Fatal(err)
	}
	gpu := engine.New("gpu-like", gpuLike{b})
	defer gpu.Close()
	for _, c := range []struct {
		e           *engine.Engine
		opt, tokens int
	}{{cpuEngine(), 0, DefaultBatchTokens}, {gpu, 0, DefaultDeviceBatchTokens}, {gpu, 300, 300}} {
		m, err := Load(dir, Options{Engine: c.e, BatchTokens: c.opt})
		if err != nil {
			t.Fatal(err)
		}
		if m.BatchTokens() != c.tokens {
			t.Errorf("%s, BatchTokens %d: a batch of %d tokens; want %d", c.e.Name(), c.opt, m.BatchTokens(), c.tokens)
		}
		m.Close()
	}
}

// gpuLike is the CPU backend reporting a GPU as its device.
type gpuLike struct{ *cpu.Backend }

func (g gpuLike) Device() engine.DeviceInfo {
	d := g.Backend.Device()
	d.Backend, d.Device, d.Unified = "gpu-like", "gpu:0", false
	return d
}
