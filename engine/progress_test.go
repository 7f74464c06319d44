package engine_test

import (
	"testing"

	"github.com/silica-go/silica/engine"
)

func TestProgress(t *testing.T) {
	engine.Progress("dropped: %d", 1) // no function set: nothing happens
	var got []string
	engine.SetProgress(func(m string) { got = append(got, m) })
	defer engine.SetProgress(nil)
	engine.Progress("compiling %s", "x")
	engine.SetProgress(nil)
	engine.Progress("dropped too")
	if len(got) != 1 || got[0] != "compiling x" {
		t.Errorf("progress lines %q; want [\"compiling x\"]", got)
	}
}
