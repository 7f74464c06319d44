package cpu

import (
	"testing"

	"github.com/silica-go/silica/engine/backendtest"
)

// TestBackend runs the shared suite with the backend's poison on: every
// step's outputs are filled with NaN before it runs.
func TestBackend(t *testing.T) {
	b := newBackend()
	b.poison = true
	backendtest.Run(t, "cpu", b)
}
