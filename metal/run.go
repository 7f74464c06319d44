package metal

import (
	"fmt"

	"github.com/silica-go/silica/engine"
)

// Run executes every step of p as one Metal command buffer.
//
// Work in progress: the steps are lowered to the kernels of package
// kernels once its manifest lands; until then every step is refused.
func (m *Backend) Run(p *engine.Plan, bufs []engine.Buffer) error {
	for i := range p.Steps {
		return fmt.Errorf("%w: metal has no kernel for %s yet", engine.ErrUnsupported, engine.DescribeStep(&p.Steps[i]))
	}
	return nil
}

// Supports reports which ops and fusions the kernels implement
// (engine.Capabilities). Work in progress: none yet.
func (m *Backend) Supports(op engine.Op, attrs *engine.Attrs, in []engine.Value) bool { return false }
