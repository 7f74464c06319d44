package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/silica-go/silica/internal/testenv"
)

// modelDir is the all-MiniLM-L6-v2 directory .ci/setup.d/32-text.sh
// exports.
func modelDir(t *testing.T) string {
	d := os.Getenv("SILICA_MODEL_DIR")
	var err error
	if d == "" {
		err = errors.New("SILICA_MODEL_DIR is not set (source .ci/setup.d/32-text.sh)")
	} else if _, err = os.Stat(filepath.Join(d, "model.safetensors")); err != nil {
		err = errors.New("SILICA_MODEL_DIR: " + err.Error())
	}
	testenv.Need(t, "model", err)
	return d
}

// TestTextCommands imports texts with the real model (JSON lines with
// ids, then plain lines appended) and searches by text: each document's
// own text finds it first.
func TestTextCommands(t *testing.T) {
	model := modelDir(t)
	dir := t.TempDir()
	st := filepath.Join(dir, "st")
	docs := map[int64]string{
		-9:      "The quick brown fox jumps over the lazy dog.",
		1 << 50: "Stock markets fell sharply after the central bank raised interest rates.",
		42:      "Das Wetter in Berlin ist heute sonnig und warm.",
		7:       "A recipe for sourdough bread needs flour, water, salt and patience.",
		123:     "今天天气很好，我们去公园散步吧。",
	}
	var jl strings.Builder
	for id, text := range docs {
		b, _ := json.Marshal(map[string]any{"id": id, "text": text})
		jl.Write(append(b, '\n'))
	}
	in := filepath.Join(dir, "docs.jsonl")
	if err := os.WriteFile(in, []byte(jl.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	out, errs, code := silica(t, "import", "--store", st, "--text", in, "--model", model)
	if code != 0 || !strings.Contains(out, "created") || !strings.Contains(out, "imported 5 texts") {
		t.Fatalf("import --text: %d\n%s%s", code, out, errs)
	}
	plain := filepath.Join(dir, "more.txt")
	if err := os.WriteFile(plain, []byte("Volcanoes erupt when magma rises to the surface.\n\nPenguins live in the southern hemisphere.\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, errs, code = silica(t, "import", "--store", st, "--text", plain, "--model", model); code != 0 || !strings.Contains(out, "7 vectors of dimension 384") {
		t.Fatalf("import plain lines: %d\n%s%s", code, out, errs)
	}
	for id, text := range docs {
		out, errs, code := silica(t, "search", "--store", st, "--text", text, "-k", "2", "--json")
		if code != 0 {
			t.Fatalf("search --text: %d\n%s%s", code, out, errs)
		}
		var res []queryHits
		if err := json.Unmarshal([]byte(out), &res); err != nil {
			t.Fatal(err)
		}
		if len(res) != 1 || len(res[0].Hits) != 2 || res[0].Hits[0].ID != id || res[0].Hits[0].Score < 0.9999 {
			t.Errorf("search %q: %s; want id %d first with score 1", text, out, id)
		}
	}
	// The appended lines took the ids after the largest, 1<<50.
	out, _, _ = silica(t, "search", "--store", st, "--text", "magma and lava from a volcano", "-k", "1")
	if !strings.Contains(out, "0\t1\t1125899906842625\t") {
		t.Errorf("search for the volcano text: %q; want id 1<<50 + 1 first", out)
	}
	for _, bad := range [][]string{
		{"import", "--store", st, "--text", in},
		{"import", "--store", st, "--text", in, "--in", in, "--model", model},
		{"search", "--store", st, "-k", "1"},
		{"search", "--store", st, "--text", "x", "-k", "1", "--model", filepath.Join(dir, "nope")},
	} {
		if _, errs, code := silica(t, bad...); code == 0 || strings.Count(strings.TrimSpace(errs), "\n") > 0 {
			t.Errorf("silica %v: exit %d, %q; want a one-line error", bad, code, errs)
		}
	}
	badJSON := filepath.Join(dir, "bad.jsonl")
	if err := os.WriteFile(badJSON, []byte("{\"id\": 1, \"text\": \"a\"}\n{\"text\": \"b\"}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, errs, code := silica(t, "import", "--store", st, "--text", badJSON, "--model", model); code == 0 || !strings.Contains(errs, "line 2") {
		t.Errorf("a JSON line without an id: exit %d, %q", code, errs)
	}
}

// TestImportTextProgress: import --text prints progress lines on stderr
// while it encodes (each batch here: the least time between two lines
// set to zero), counting up to every text, and nothing of them on stdout.
func TestImportTextProgress(t *testing.T) {
	model := modelDir(t)
	t.Setenv("SILICA_BACKEND", "cpu")
	defer func(d time.Duration) { progressEvery = d }(progressEvery)
	progressEvery = 0
	dir := t.TempDir()
	var lines strings.Builder
	for i := range 61 {
		fmt.Fprintf(&lines, "Text number %d of the progress test, with a few more words to encode.\n", i)
	}
	in := filepath.Join(dir, "texts.txt")
	if err := os.WriteFile(in, []byte(lines.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	var out, errs strings.Builder
	if code := run([]string{"import", "--store", filepath.Join(dir, "st"), "--text", in, "--model", model}, &out, &errs); code != 0 {
		t.Fatalf("exit %d: %s%s", code, out.String(), errs.String())
	}
	var counts []int
	for _, l := range strings.Split(errs.String(), "\n") {
		var done, total int
		if _, err := fmt.Sscanf(l, "silica: encoded %d of %d texts", &done, &total); err == nil && total == 61 {
			counts = append(counts, done)
		}
	}
	if len(counts) < 2 || counts[len(counts)-1] != 61 || !slices.IsSorted(counts) {
		t.Errorf("progress counts %v, want two or more rising to 61; stderr:\n%s", counts, errs.String())
	}
	if strings.Contains(out.String(), "silica: encoded") {
		t.Errorf("progress on stdout: %q", out.String())
	}
}
