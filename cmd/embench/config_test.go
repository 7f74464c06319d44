package main

import (
	"io"
	"strings"
	"testing"
	"time"

	"github.com/silica-go/silica/engine"
	"github.com/silica-go/silica/store"
)

func TestParseFlagsDefaults(t *testing.T) {
	c, err := parseFlags(nil, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if c.Backend != nil || c.Peers != nil || c.Only != nil {
		t.Errorf("default lists %v %v %v, want nil (everything)", c.Backend, c.Peers, c.Only)
	}
	if c.Docs != defaultDocs || c.K != 100 || c.Dim != 768 || c.Metric != store.Cosine {
		t.Errorf("defaults docs=%d k=%d dim=%d metric=%s", c.Docs, c.K, c.Dim, c.Metric)
	}
	if len(c.Batches) != 2 || c.Batches[0] != 64 || c.Batches[1] != 1024 {
		t.Errorf("batches %v, want [64 1024]", c.Batches)
	}
	if len(c.DTypes) != 2 || c.DTypes[0] != engine.Float32 || c.DTypes[1] != engine.Float16 {
		t.Errorf("dtypes %v, want float32, float16", c.DTypes)
	}
	if c.Policy.MinTime != defaultTime || c.Policy.MaxTime != 4*defaultTime || c.Policy.MinReps != 10 {
		t.Errorf("policy %+v", c.Policy)
	}
}

func TestParseFlagsQuick(t *testing.T) {
	c, err := parseFlags([]string{"--quick"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if c.Docs != quickDocs || c.Policy.MinTime != quickTime || !c.Quick {
		t.Errorf("quick: docs %d, time %v", c.Docs, c.Policy.MinTime)
	}
	c, err = parseFlags([]string{"--quick", "--docs", "3000", "--time", "5ms"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if c.Docs != 3000 || c.Policy.MinTime != 5*time.Millisecond {
		t.Errorf("explicit sizes lost under --quick: docs %d, time %v", c.Docs, c.Policy.MinTime)
	}
}

func TestParseFlagsLists(t *testing.T) {
	c, err := parseFlags([]string{"-backend", "cpu, torch:cpu,cpu", "-peers", "none", "-scenario", "seed,store_search_64", "-dtypes", "f16"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(c.Backend, "|") != "cpu|torch:cpu" {
		t.Errorf("backends %q", c.Backend)
	}
	if c.Peers == nil || len(c.Peers) != 0 {
		t.Errorf("-peers none gave %#v, want an empty list", c.Peers)
	}
	if !c.selected("seed", "matmul") || !c.selected("store", "store_search_64") || c.selected("store", "store_add") {
		t.Errorf("-scenario selection wrong: %v", c.Only)
	}
	if len(c.DTypes) != 1 || c.DTypes[0] != engine.Float16 {
		t.Errorf("dtypes %v", c.DTypes)
	}
}

func TestParseFlagsErrors(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string // in the error
	}{
		{[]string{"-peers", "scipy"}, `unknown peer "scipy"`},
		{[]string{"-dtypes", "int8"}, `"int8" is not a float dtype`},
		{[]string{"-dtypes", "f64"}, `"f64" is not a float dtype`},
		{[]string{"-metric", "hamming"}, `unknown metric "hamming"`},
		{[]string{"-k", "0"}, "-k 0"},
		{[]string{"-docs", "50", "-k", "100"}, "-k 100 is more than -docs 50"},
		{[]string{"-docs", "-3"}, "-docs -3"},
		{[]string{"-dim", "0"}, "-dim 0"},
		{[]string{"-batches", "64,x"}, `"x" is not a positive integer`},
		{[]string{"-batches", "0"}, `"0" is not a positive integer`},
		{[]string{"-batches", "none"}, "at least one size"},
		{[]string{"-scenario", "matmull"}, `unknown scenario "matmull"`},
		{[]string{"-scenario", "store_search_32"}, `unknown scenario "store_search_32"`},
		{[]string{"-time", "-1s"}, "-time -1s"},
		{[]string{"extra"}, `unexpected argument "extra"`},
		{[]string{"-nosuchflag"}, "flag provided but not defined"},
	} {
		_, err := parseFlags(tc.args, io.Discard)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("parseFlags(%q) = %v, want an error containing %q", tc.args, err, tc.want)
		}
	}
	// A batch size the user adds becomes a scenario name.
	if _, err := parseFlags([]string{"-batches", "32", "-scenario", "store_search_32"}, io.Discard); err != nil {
		t.Errorf("store_search_32 with -batches 32: %v", err)
	}
}

func TestRunUsageExitCodes(t *testing.T) {
	var out, errOut strings.Builder
	if code := run([]string{"-metric", "x"}, &out, &errOut); code != exitUsage {
		t.Errorf("bad flag: exit %d, want %d", code, exitUsage)
	}
	if !strings.Contains(errOut.String(), "unknown metric") {
		t.Errorf("bad flag: stderr %q does not say why", errOut.String())
	}
	if strings.Count(errOut.String(), "unknown metric") != 1 || strings.Count(errOut.String(), "\n") != 1 {
		t.Errorf("bad flag: stderr %q; want one line, the reason once", errOut.String())
	}
	for _, h := range []string{"-h", "--help", "-help"} {
		out.Reset()
		errOut.Reset()
		if code := run([]string{h}, &out, &errOut); code != 0 || !strings.Contains(out.String(), "-docs") || errOut.Len() != 0 {
			t.Errorf("%s: exit %d, stdout %q, stderr %q; want the usage on stdout, exit 0", h, code, out.String(), errOut.String())
		}
	}
}
