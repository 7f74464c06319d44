package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/silica-go/silica/internal/testenv"
)

// numpy returns a Python with NumPy: SILICA_PYTHON (set by
// .ci/setup.d/05-python.sh, NumPy installed by 30-numpy.sh), else python3.
func numpy(t *testing.T) string {
	py := os.Getenv("SILICA_PYTHON")
	if py == "" {
		py = "python3"
	}
	out, err := exec.Command(py, "-c", "import numpy").CombinedOutput()
	if err != nil {
		lines := strings.Split(strings.TrimSpace(string(out)), "\n")
		err = fmt.Errorf("%s -c 'import numpy': %v: %s", py, err, lines[len(lines)-1])
	}
	testenv.Need(t, "numpy", err)
	return py
}

// TestNumPyInterop: numpy.save writes vectors, silica import reads them,
// numpy.load reads the store's files back equal, and silica search agrees
// with a NumPy brute force (testdata/interop.py does the NumPy side).
func TestNumPyInterop(t *testing.T) {
	py := numpy(t)
	dir := t.TempDir()
	script, _ := filepath.Abs("testdata/interop.py")
	python := func(args ...string) {
		t.Helper()
		out, err := exec.Command(py, append([]string{script}, args...)...).CombinedOutput()
		if err != nil {
			t.Fatalf("python %v: %v\n%s", args, err, out)
		}
		t.Logf("%s", out)
	}
	python("make", dir)
	for _, c := range []struct{ in, dtype, metric string }{
		{"v32.npy", "f32", "dot"},
		{"v32.npy", "f32", "l2"},
		{"v32.npy", "f32", "cosine"},
		{"v16.npy", "f16", "l2"},
		{"v32.npy", "i8", "dot"},
	} {
		st := filepath.Join(dir, "store-"+c.dtype+"-"+c.metric)
		_, errs, code := silica(t, "import", "--store", st, "--in", filepath.Join(dir, c.in),
			"--ids", filepath.Join(dir, "ids.npy"), "--dtype", c.dtype, "--metric", c.metric)
		if code != 0 {
			t.Fatalf("import %+v: %s", c, errs)
		}
		out, errs, code := silica(t, "search", "--store", st, "--queries", filepath.Join(dir, "q.npy"), "-k", "10", "--json")
		if code != 0 {
			t.Fatalf("search %+v: %s", c, errs)
		}
		res := st + ".json"
		if err := os.WriteFile(res, []byte(out), 0o644); err != nil {
			t.Fatal(err)
		}
		python("check", dir, st, c.dtype, c.metric, res)
	}
}
