package backendtest

import "github.com/silica-go/silica/engine"

// PoisonByte is the byte a test backend fills fresh memory with: every
// byte 0xFF is a NaN in each float dtype and -1 in each integer one.
const PoisonByte = 0xff

// Poison fills b with PoisonByte. It is the one poison of the tests: the
// wrapper of Poisoned calls it on every allocation, and the test backends
// (the CPU backend's test hook, the Metal harness device) call it on each
// step's outputs before the step runs, so that an element a kernel leaves
// unwritten shows as NaN even in a slot an earlier step of the plan
// filled.
func Poison(b []byte) { PoisonWith(b, PoisonByte) }

// PoisonWith fills b with v: a second poison, for outputs where 0xFF may
// be a right answer (an integer -1), so that a test can run a step twice
// with different poisons and require the same result.
func PoisonWith(b []byte, v byte) {
	for i := range b {
		b[i] = v
	}
}

// poison wraps a backend so that every buffer it allocates is poisoned
// before the engine uses it.
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
	Poison(junk)
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

// Poisoned returns an engine on b whose every buffer allocation is
// poisoned (Poison) before a kernel writes it, so that an element a
// kernel forgets to write shows in its result.
func Poisoned(name string, b engine.Backend) *engine.Engine {
	caps, _ := b.(engine.Capabilities)
	return engine.New(name, &poison{Backend: b, caps: caps})
}

// CopyBuffer forwards to the backend's engine.BufferCopier, or copies
// through the host (Read, then Write) as the engine does without one.
func (p *poison) CopyBuffer(dst engine.Buffer, dstOff int, src engine.Buffer, srcOff, n int) error {
	if c, ok := p.Backend.(engine.BufferCopier); ok {
		return c.CopyBuffer(dst, dstOff, src, srcOff, n)
	}
	tmp := make([]byte, n)
	if err := p.Backend.Read(src, srcOff, tmp); err != nil {
		return err
	}
	return p.Backend.Write(dst, dstOff, tmp)
}
