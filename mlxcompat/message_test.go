package mlxcompat

import (
	"strings"
	"testing"

	"github.com/silica-go/silica/internal/errtext"
	"github.com/silica-go/silica/internal/shim/shimtest"
)

// TestFindMLXMessage checks the error when no MLX is found: one line, each
// place tried once, no "<nil>" for a Python that ran but has no mlx, and
// the action last.
func TestFindMLXMessage(t *testing.T) {
	t.Setenv("PATH", t.TempDir())    // no python3
	py := shimtest.FakePython(t, "") // runs, finds no mlx package
	prefixes := []string{t.TempDir(), t.TempDir()}
	_, err := findMLX(shimtest.Env(map[string]string{EnvPython: py}), prefixes)
	if err == nil {
		t.Fatal("found an MLX where there is none")
	}
	msg := err.Error()
	t.Log(msg)
	if bad := errtext.Check(msg, "or set "+EnvMLX+" to an MLX folder"); bad != nil {
		t.Errorf("message %q: %s", msg, strings.Join(bad, "; "))
	}
	for _, want := range append(prefixes, py+": no mlx package", "SILICA_PYTHON") {
		if !strings.Contains(msg, want) {
			t.Errorf("message %q does not say %q", msg, want)
		}
	}
}
