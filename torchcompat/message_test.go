package torchcompat

import (
	"strings"
	"testing"

	"github.com/silica-go/silica/internal/errtext"
	"github.com/silica-go/silica/internal/shim/shimtest"
)

// TestFindLibtorchMessage checks the error when no libtorch is found: one
// line, each place tried once, no "<nil>", the action last.
func TestFindLibtorchMessage(t *testing.T) {
	t.Setenv("PATH", t.TempDir())    // no python3
	py := shimtest.FakePython(t, "") // runs, prints too little: no torch package
	dirs := []string{t.TempDir(), t.TempDir()}
	_, err := findLibtorch(shimtest.Env(map[string]string{EnvPython: py}), dirs)
	if err == nil {
		t.Fatal("found a libtorch where there is none")
	}
	msg := err.Error()
	t.Log(msg)
	if bad := errtext.Check(msg, "or set "+EnvLibtorch+" to an unpacked libtorch"); bad != nil {
		t.Errorf("message %q: %s", msg, strings.Join(bad, "; "))
	}
	for _, want := range append(dirs, py+": no torch package", "SILICA_PYTHON") {
		if !strings.Contains(msg, want) {
			t.Errorf("message %q does not say %q", msg, want)
		}
	}
}
