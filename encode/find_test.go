package encode

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestFind(t *testing.T) {
	cache := t.TempDir()
	t.Setenv("HF_HUB_CACHE", cache)
	mk := func(p string) string {
		d := filepath.Join(cache, p)
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
		return d
	}
	a := mk("models--sentence-transformers--all-MiniLM-L6-v2/snapshots/abc")
	mk("models--sentence-transformers--all-MiniLM-L6-v2/snapshots/old")
	if err := os.MkdirAll(filepath.Join(cache, "models--sentence-transformers--all-MiniLM-L6-v2/refs"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(cache, "models--sentence-transformers--all-MiniLM-L6-v2/refs/main"), []byte("abc\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	b := mk("models--BAAI--bge-small-en-v1.5/snapshots/only")
	for name, want := range map[string]string{
		"all-MiniLM-L6-v2": a, "sentence-transformers/all-MiniLM-L6-v2": a,
		"BAAI/bge-small-en-v1.5": b, b: b,
	} {
		got, err := Find(name)
		if err != nil || got != want {
			t.Errorf("Find(%q) = %q, %v; want %q", name, got, err, want)
		}
	}
	mk("models--x--two/snapshots/1")
	mk("models--x--two/snapshots/2")
	for _, name := range []string{"x/two", "nothing-here", "/no/such/dir"} {
		if _, err := Find(name); err == nil || strings.Contains(err.Error(), "\n") {
			t.Errorf("Find(%q): %v; want a one-line error", name, err)
		}
	}
}
