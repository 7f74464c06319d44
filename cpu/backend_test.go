package cpu

import (
	"runtime"
	"testing"

	"github.com/silica-go/silica/engine/backendtest"
)

// TestBackend runs the shared suite with the backend's poison on: every
// step's outputs are filled with NaN before it runs.
func TestBackend(t *testing.T) {
	backendtest.Run(t, "cpu", poisoned(runtime.GOMAXPROCS(0)))
}
