package testenv

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
)

// bareSkip matches a skip that bypasses this package, which CI could not
// see or count.
var bareSkip = regexp.MustCompile(`\.(Skip|Skipf|SkipNow)\(`)

// TestSkipsGoThroughTestenv checks the module's Go files: no test skips
// except through Need or SkipBecause, and every package with tests
// reports its skips (testenv.Main, or testenv.Report from its own
// TestMain).
func TestSkipsGoThroughTestenv(t *testing.T) {
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "go.mod")); err != nil {
		t.Fatalf("module root not found: %v", err)
	}
	testDirs := map[string]bool{} // directory -> reports its skips
	err = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		name := d.Name()
		if d.IsDir() {
			if path != root && (name == "testdata" || strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_")) {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(name, ".go") {
			return nil
		}
		src, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, path)
		dir := filepath.Dir(rel)
		if dir != filepath.Join("internal", "testenv") {
			for i, line := range strings.Split(string(src), "\n") {
				if bareSkip.MatchString(line) && !strings.HasPrefix(strings.TrimSpace(line), "//") {
					t.Errorf("%s:%d: a skip outside testenv (use testenv.Need or testenv.SkipBecause): %s", rel, i+1, strings.TrimSpace(line))
				}
			}
		}
		if strings.HasSuffix(name, "_test.go") {
			s := string(src)
			testDirs[dir] = testDirs[dir] || strings.Contains(s, "testenv.Main(m)") || strings.Contains(s, "testenv.Report(") || strings.Contains(s, "\tMain(m)")
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	var silent []string
	for dir, ok := range testDirs {
		if !ok {
			silent = append(silent, dir)
		}
	}
	sort.Strings(silent)
	if len(silent) > 0 {
		t.Errorf("packages whose skips go unreported (add func TestMain(m *testing.M) { testenv.Main(m) }): %s", strings.Join(silent, ", "))
	}
	if len(testDirs) < 10 {
		t.Errorf("found tests in %d directories only; is the walk broken?", len(testDirs))
	}
}
