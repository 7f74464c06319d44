package metal

import (
	"fmt"

	"github.com/silica-go/silica/engine"
)

// lowerKernels appends the launches of an engine op. Work in progress:
// the kernels' manifest has not landed yet.
func (m *Backend) lowerKernels(b *batch, i int, s *engine.Step) error {
	return fmt.Errorf("%w: metal has no kernel for %s yet", engine.ErrUnsupported, s.Op)
}

// checkStatus reads a status buffer after the run.
func checkStatus(status []byte) error { return nil }

// Supports reports which ops and fusions the kernels implement
// (engine.Capabilities): for now custom kernels with an MSL source.
func (m *Backend) Supports(op engine.Op, attrs *engine.Attrs, in []engine.Value) bool {
	if op == engine.OpCustom {
		return attrs.Kernel != nil && attrs.Kernel.Spec().MSL != ""
	}
	return false
}
