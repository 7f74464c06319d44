package cpu

import (
	"fmt"

	"github.com/silica-go/silica/engine"
)

// CopyBuffer copies n bytes of src at byte srcOff into dst at byte dstOff
// (engine.BufferCopier): a memmove in host memory, as Run has always
// finished before it is called.
func (c *Backend) CopyBuffer(dst engine.Buffer, dstOff int, src engine.Buffer, srcOff, n int) error {
	d, ok := dst.(*buffer)
	s, ok2 := src.(*buffer)
	if !ok || !ok2 || d.b == nil || s.b == nil {
		return fmt.Errorf("cpu: copy between buffers that are not live cpu buffers")
	}
	if n < 0 || dstOff < 0 || srcOff < 0 || dstOff+n > len(d.b) || srcOff+n > len(s.b) {
		return fmt.Errorf("cpu: copy of %d bytes from %d of a %d-byte buffer to %d of a %d-byte buffer", n, srcOff, len(s.b), dstOff, len(d.b))
	}
	copy(d.b[dstOff:dstOff+n], s.b[srcOff:srcOff+n])
	d.gen.Add(1)
	return nil
}
