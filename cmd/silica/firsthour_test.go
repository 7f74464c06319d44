package main

import (
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/silica-go/silica/internal/errtext"
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

// TestErrorShape checks the errors a new user meets first: one line on
// stderr, "silica: COMMAND: " and then the cause without the prefixes that
// line already has ("store: ", "search: "), no path twice, no <nil>.
func TestErrorShape(t *testing.T) {
	dir := t.TempDir()
	p := func(name string) string { return filepath.Join(dir, name) }
	r := rand.New(rand.NewPCG(7, 8))
	writeVectors(t, p("v.npy"), randRows(r, 9, 4))
	writeVectors(t, p("v5.npy"), randRows(r, 2, 5))
	st := p("store")
	if _, errs, code := silica(t, "import", "--store", st, "--in", p("v.npy")); code != 0 {
		t.Fatal(errs)
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"search", "--store", st, "--queries", p("v.npy"), "-k", "0"}, "silica: search: k = 0; want k >= 1\n"},
		{[]string{"search", "--store", st, "--queries", p("v5.npy"), "-k", "2"}, "silica: search: query 0 has 5 values; the store's dimension is 4\n"},
		{[]string{"search", "--store", p("missing"), "--queries", p("v.npy"), "-k", "2"}, "silica: search: open " + p("missing") + ": no such file or directory\n"},
		{[]string{"info", "--store", p("missing")}, "silica: info: open " + p("missing") + ": no such file or directory\n"},
		{[]string{"import", "--store", st, "--in", p("v5.npy")}, ""},
	} {
		_, errs, code := silica(t, c.args...)
		if code == 0 || strings.Count(errs, "\n") != 1 {
			t.Errorf("silica %v: status %d, stderr %q; want one line and a failure", c.args, code, errs)
			continue
		}
		if c.want != "" && errs != c.want {
			t.Errorf("silica %v: stderr %q; want %q", c.args, errs, c.want)
		}
		if bad := errtext.Check(strings.TrimSuffix(errs, "\n"), ""); bad != nil {
			t.Errorf("silica %v: stderr %q: %s", c.args, errs, strings.Join(bad, "; "))
		}
	}
}
