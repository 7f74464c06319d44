package store

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/silica-go/silica/internal/errtext"
)

// TestErrorMessages triggers the store's errors a user meets first and
// checks their shape: one line, "store: " once, a path once, no <nil>,
// and where there is an action, the action last.
func TestErrorMessages(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "st")
	s, err := New(Options{Dim: 3, Backend: "cpu"})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.Add([]int64{1, 2}, [][]float32{{1, 0, 0}, {0, 1, 0}}); err != nil {
		t.Fatal(err)
	}
	if err := s.Save(dir); err != nil {
		t.Fatal(err)
	}
	plain := filepath.Join(t.TempDir(), "plain")
	if err := os.WriteFile(plain, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	missing := filepath.Join(t.TempDir(), "missing")
	_, errOpenMissing := Open(missing, Options{})
	// Backends that do not open (a fake driver registered here would join
	// the tests that run every registered backend).
	_, errOpenAbsent := Open(dir, Options{Backend: "nosuch"})
	_, errNewAbsent := New(Options{Dim: 3, Backend: "cpu", Device: "7"})
	_, errK := s.Search([]float32{1, 0, 0}, 0)
	_, errDim := s.Search([]float32{1, 0}, 1)
	_, errBatchK := s.SearchBatch([][]float32{{1, 0, 0}}, -1)
	errSave := s.Save(plain)
	for _, c := range []struct {
		what   string
		err    error
		action string // the message's end, "" where it states a fact
		once   string // a path or name the message must hold once
	}{
		{"Open of a missing directory", errOpenMissing, "", missing},
		{"Open on an unknown backend", errOpenAbsent, "to register every backend", dir},
		{"New on a device the backend lacks", errNewAbsent, "", "cpu:7"},
		{"Search with k = 0", errK, "want k >= 1", ""},
		{"Search with a short query", errDim, "", ""},
		{"SearchBatch with k = -1", errBatchK, "want k >= 1", ""},
		{"Save over a file", errSave, "", plain},
	} {
		if c.err == nil {
			t.Errorf("%s: no error", c.what)
			continue
		}
		msg := c.err.Error()
		t.Logf("%s: %s", c.what, msg)
		if bad := errtext.Check(msg, c.action); bad != nil {
			t.Errorf("%s: %q: %s", c.what, msg, strings.Join(bad, "; "))
		}
		if n := strings.Count(msg, "store:"); n != 1 {
			t.Errorf("%s: %q says store: %d times", c.what, msg, n)
		}
		if c.once != "" && strings.Count(msg, c.once) != 1 {
			t.Errorf("%s: %q names %s %d times; want once", c.what, msg, c.once, strings.Count(msg, c.once))
		}
	}
	if !errors.Is(errOpenMissing, os.ErrNotExist) {
		t.Errorf("the wrapped cause is lost: %v", errOpenMissing)
	}
}
