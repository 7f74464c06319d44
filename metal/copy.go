package metal

import (
	"fmt"

	"github.com/silica-go/silica/engine"
)

// CopyBuffer copies n bytes of src at byte srcOff into dst at byte dstOff
// (engine.BufferCopier). The memory is shared and Run has always finished
// before it returns, so this is a plain copy. Like Write, it refuses to
// write into wrapped host memory, which belongs to the caller.
func (m *Backend) CopyBuffer(dst engine.Buffer, dstOff int, src engine.Buffer, srcOff, n int) error {
	d, ok := dst.(*buffer)
	s, ok2 := src.(*buffer)
	if !ok || !ok2 || d.dev == nil || s.dev == nil {
		return fmt.Errorf("metal: copy between buffers that are not live metal buffers")
	}
	if n < 0 || dstOff < 0 || srcOff < 0 || dstOff+n > d.n || srcOff+n > s.n {
		return fmt.Errorf("metal: copy of %d bytes from %d of a %d-byte buffer to %d of a %d-byte buffer", n, srcOff, s.n, dstOff, d.n)
	}
	if d.wrapped {
		return fmt.Errorf("metal: copy into wrapped host memory (it belongs to the caller)")
	}
	copy(d.data()[dstOff:dstOff+n], s.data()[srcOff:srcOff+n])
	return nil
}
