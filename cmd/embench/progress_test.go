package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/silica-go/silica/engine"
	"github.com/silica-go/silica/internal/errtext"
)

// slowDriver is a backend that compiles something at first use and says
// so through engine.Progress, as the torch and MLX shims do.
type slowDriver struct{}

func (slowDriver) Open(string) (engine.Backend, error) {
	engine.Progress("compiling the fake shim (first use)")
	return newCPU(), nil
}

func init() { engine.Register("fakeslow", slowDriver{}) }

// TestProgressSaysWhatIsSlow checks that embench prints on stderr what a
// backend reports while it opens (a shim compiling), and what it does
// before the first case: opening backends, starting the peers.
func TestProgressSaysWhatIsSlow(t *testing.T) {
	var out, errOut strings.Builder
	code := run([]string{"--quick", "--backend", "fakeslow", "--peers", "none", "--scenario", "fma"}, &out, &errOut)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut.String())
	}
	for _, want := range []string{"opening the engine backends", "compiling the fake shim (first use)", "fma"} {
		if !strings.Contains(errOut.String(), want) {
			t.Errorf("stderr does not say %q:\n%s", want, errOut.String())
		}
	}
	engine.Progress("after the run") // the hook is gone: nothing reaches errOut
	if strings.Contains(errOut.String(), "after the run") {
		t.Error("embench's progress hook outlives the run")
	}
}

// TestPeerHint checks what embench says of a Python without NumPy: the
// interpreter to install into, and SILICA_PYTHON to choose another, on
// one line with the action last.
func TestPeerHint(t *testing.T) {
	py := filepath.Join(t.TempDir(), "python")
	script := "#!/bin/sh\necho '{\"python\": \"3.0.0\", \"numpy_error\": \"No module named numpy\", \"faiss_error\": \"No module named faiss\", \"torch_error\": \"No module named torch\", \"sentence-transformers_error\": \"No module named sentence_transformers\", \"onnxruntime_error\": \"No module named onnxruntime\"}'\n"
	if err := os.WriteFile(py, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv(EnvPython, py)
	p, err := findPython("")
	if err != nil {
		t.Fatal(err)
	}
	defer p.close()
	for _, peer := range knownPeers {
		why := p.why[peer]
		if !strings.HasPrefix(why, py+" has no") || !strings.Contains(why, "into that Python") || !strings.Contains(why, "No module named") {
			t.Errorf("%s: %q does not say how to install it into %s", peer, why, py)
		}
		if bad := errtext.Check(why, "or set "+EnvPython+" to a Python that has it"); bad != nil {
			t.Errorf("%s: %q: %s", peer, why, strings.Join(bad, "; "))
		}
	}
}
