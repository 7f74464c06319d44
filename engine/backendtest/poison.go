package backendtest

import "github.com/silica-go/silica/engine"

// poison wraps a backend so that every buffer it allocates is filled with
// 0xFF bytes before the engine uses it.
type poison struct {
	engine.Backend
	caps engine.Capabilities
}

func (p *poison) Alloc(n int) (engine.Buffer, error) {
	b, err := p.Backend.Alloc(n)
	if err != nil {
		return nil, err
	}
	junk := make([]byte, n)
	for i := range junk {
		junk[i] = 0xff
	}
	if err := p.Backend.Write(b, 0, junk); err != nil {
		p.Backend.Free(b)
		return nil, err
	}
	return b, nil
}

// Supports forwards to the backend's Capabilities; a backend without them
// runs every primitive op and no fused or custom one, as the engine
// assumes.
func (p *poison) Supports(op engine.Op, a *engine.Attrs, in []engine.Value) bool {
	if p.caps != nil {
		return p.caps.Supports(op, a, in)
	}
	return op.IsPrimitive()
}

// MemoryInUse forwards when the backend counts memory.
func (p *poison) MemoryInUse() int64 {
	if m, ok := p.Backend.(engine.MemoryReporter); ok {
		return m.MemoryInUse()
	}
	return -1
}

// Poisoned returns an engine on b whose every buffer allocation is filled
// with 0xFF bytes (NaN for floats, -1 for integers) before a kernel writes
// it, so that an element a kernel forgets to write shows in its result.
func Poisoned(name string, b engine.Backend) *engine.Engine {
	caps, _ := b.(engine.Capabilities)
	return engine.New(name, &poison{Backend: b, caps: caps})
}
