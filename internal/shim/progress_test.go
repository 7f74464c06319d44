package shim

import (
	"strings"
	"testing"

	"github.com/silica-go/silica/engine"
)

// TestBuildSaysSo checks that a compile is announced through
// engine.Progress, before and after, and that a cached library is not.
func TestBuildSaysSo(t *testing.T) {
	fakeCompiler(t)
	var lines []string
	engine.SetProgress(func(m string) { lines = append(lines, m) })
	defer engine.SetProgress(nil)
	s := &Spec{Name: "fake", Source: []byte("int x;"), Std: "c++17"}
	if _, err := Build(s); err != nil {
		t.Fatal(err)
	}
	if len(lines) != 2 || !strings.HasPrefix(lines[0], "compiling the fake shim with ") ||
		!strings.Contains(lines[0], "first use") || !strings.HasPrefix(lines[1], "compiled the fake shim in ") {
		t.Errorf("progress of a compile: %q; want a line before and one after", lines)
	}
	lines = nil
	if _, err := Build(s); err != nil {
		t.Fatal(err)
	}
	if len(lines) != 0 {
		t.Errorf("progress of a cached build: %q; want none", lines)
	}
}
