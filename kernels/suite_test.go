package kernels_test

import (
	"testing"

	"github.com/silica-go/silica/engine/backendtest"
	"github.com/silica-go/silica/internal/testenv"
	"github.com/silica-go/silica/kernels/msltest"
)

// TestBackendSuite runs the shared backend suite on the Metal kernels
// through the harness: every op against backendtest's float64 references,
// custom kernels' MSL included.
func TestBackendSuite(t *testing.T) {
	h, err := msltest.Default()
	testenv.Need(t, "clang", err)
	b := &mslBackend{Backend: newCPU(), h: h, opt: msltest.Options{Order: msltest.Shuffled, Seed: 7}, libs: map[string]*msltest.Program{}}
	backendtest.Run(t, "msl", b)
}
