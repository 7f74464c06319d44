//go:build unix

package store

import (
	"io/fs"
	"os"
	"path/filepath"
	"testing"
)

// TestSaveModes checks the one permission rule of the package doc: every
// directory a save makes has mode 0755 and every file 0644, less the
// umask (measured here by making a directory and a file the same way).
func TestSaveModes(t *testing.T) {
	root := t.TempDir()
	probe := filepath.Join(root, "probe")
	if err := os.Mkdir(probe, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(probe, "f"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	wantDir, wantFile := mode(t, probe), mode(t, filepath.Join(probe, "f"))
	s, err := New(Options{Dim: 2, Backend: "cpu"})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.Add([]int64{1}, [][]float32{{1, 2}}); err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(root, "st")
	for range 2 { // a first save and one over it
		if err := s.Save(dir); err != nil {
			t.Fatal(err)
		}
	}
	n := 0
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			t.Fatal(err)
		}
		if d.Type()&fs.ModeSymlink != 0 {
			return nil
		}
		want := wantFile
		if d.IsDir() {
			want = wantDir
		}
		if got := mode(t, p); got != want {
			t.Errorf("%s: mode %v; want %v", p, got, want)
		}
		n++
		return nil
	})
	if n < 5 { // the store, a version directory, its three files, the lock
		t.Errorf("only %d entries checked", n)
	}
}

func mode(t *testing.T, p string) fs.FileMode {
	t.Helper()
	st, err := os.Lstat(p)
	if err != nil {
		t.Fatal(err)
	}
	return st.Mode().Perm()
}
