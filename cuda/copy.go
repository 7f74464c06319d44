package cuda

import (
	"fmt"

	"github.com/silica-go/silica/engine"
)

// CopyBuffer copies n bytes of src at byte srcOff into dst at byte dstOff
// on the device (engine.BufferCopier): cuMemcpyDtoDAsync on the backend's
// stream, after the work queued before it, then a wait for the stream.
// https://docs.nvidia.com/cuda/cuda-driver-api/group__CUDA__MEM.html
func (b *Backend) CopyBuffer(dst engine.Buffer, dstOff int, src engine.Buffer, srcOff, n int) error {
	d, ok := dst.(*buffer)
	s, ok2 := src.(*buffer)
	if !ok || !ok2 || d.freed.Load() || s.freed.Load() {
		return fmt.Errorf("cuda: copy between buffers that are not live cuda buffers")
	}
	if n < 0 || dstOff < 0 || srcOff < 0 || dstOff+n > d.size || srcOff+n > s.size {
		return fmt.Errorf("cuda: copy of %d bytes from %d of a %d-byte buffer to %d of a %d-byte buffer", n, srcOff, s.size, dstOff, d.size)
	}
	if n == 0 {
		return nil
	}
	return b.do(func() error {
		b.d.gen++
		if err := check("cuMemcpyDtoDAsync", cuMemcpyDtoDAsync(d.ptr+uint64(dstOff), s.ptr+uint64(srcOff), uint64(n), b.d.stream)); err != nil {
			return err
		}
		return b.d.sync()
	})
}
