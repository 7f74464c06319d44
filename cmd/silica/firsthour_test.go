package main

import (
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestHelp checks that every way of asking for help prints the usage on
// stdout, nothing on stderr, and exits with status 0.
func TestHelp(t *testing.T) {
	for _, args := range [][]string{
		{"help"}, {"-h"}, {"--help"}, {"-help"},
		{"import", "-h"}, {"import", "--help"},
		{"search", "-h"}, {"search", "--help"},
		{"info", "-h"}, {"info", "--help"},
	} {
		out, errs, code := silica(t, args...)
		if code != 0 || errs != "" || !strings.Contains(out, "usage:") || !strings.Contains(out, "silica search --store DIR") {
			t.Errorf("silica %v: status %d, stdout %q, stderr %q; want the usage on stdout, status 0", args, code, out, errs)
		}
	}
}

// TestImportEmpty checks that importing an array of no rows writes
// nothing: no new version of an existing store, no new store, and one
// line saying so.
func TestImportEmpty(t *testing.T) {
	dir := t.TempDir()
	p := func(name string) string { return filepath.Join(dir, name) }
	writeVectors(t, p("v.npy"), randRows(rand.New(rand.NewPCG(5, 6)), 7, 4))
	writeNPY(t, p("empty.npy"), "<f4", []int{0, 4}, nil)
	st := p("store")
	if _, errs, code := silica(t, "import", "--store", st, "--in", p("v.npy")); code != 0 {
		t.Fatal(errs)
	}
	before := tree(t, st)
	out, errs, code := silica(t, "import", "--store", st, "--in", p("empty.npy"))
	if code != 0 || errs != "" || strings.Count(out, "\n") != 1 || !strings.Contains(out, "nothing imported") {
		t.Errorf("import of an empty array: status %d, stdout %q, stderr %q; want one line saying nothing was imported", code, out, errs)
	}
	if after := tree(t, st); !equalTrees(before, after) {
		t.Errorf("import of an empty array changed the store (%d files, then %d; a new version?)", len(before), len(after))
	}
	fresh := p("fresh")
	if _, _, code := silica(t, "import", "--store", fresh, "--in", p("empty.npy")); code != 0 {
		t.Errorf("import of an empty array into a new store: status %d", code)
	}
	if _, err := os.Stat(fresh); !os.IsNotExist(err) {
		t.Errorf("import of an empty array made %s (%v)", fresh, err)
	}
}
