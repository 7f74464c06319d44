package metal

import (
	"fmt"
	"sync"
	"unsafe"

	"github.com/silica-go/silica/engine"
)

// hostDevice is a device in host memory: buffers are Go memory, wrap
// uses the caller's memory in place (when 16-byte aligned, as Metal
// needs), and it counts what is live. Compiling and running kernels is
// left to the device that embeds it (the harness device), or refused.
type hostDevice struct {
	mu      sync.Mutex // Free may come from a cleanup goroutine
	live    map[*hostBuffer]bool
	refuse  bool // newBuffer fails (out of memory)
	closed  bool
	wrapped int
}

type hostBuffer struct {
	b       []byte
	wrapped bool
}

func (h *hostBuffer) bytes() []byte { return h.b }

func newHostDevice() *hostDevice { return &hostDevice{live: map[*hostBuffer]bool{}} }

func (d *hostDevice) info() engine.DeviceInfo {
	return engine.DeviceInfo{Backend: "metal", Device: "host", Name: "host memory (test device)", Memory: 1 << 30, Unified: true}
}

func (d *hostDevice) newBuffer(n int) (devBuffer, error) {
	if d.refuse {
		return nil, fmt.Errorf("test device: out of memory")
	}
	words := make([]uint64, (n+7)/8)
	b := &hostBuffer{b: unsafe.Slice((*byte)(unsafe.Pointer(&words[0])), n)}
	d.mu.Lock()
	d.live[b] = true
	d.mu.Unlock()
	return b, nil
}

func (d *hostDevice) wrap(data []byte) (devBuffer, error) {
	if uintptr(unsafe.Pointer(unsafe.SliceData(data)))%16 != 0 {
		return nil, fmt.Errorf("test device: not 16-byte aligned")
	}
	b := &hostBuffer{b: data, wrapped: true}
	d.mu.Lock()
	d.live[b] = true
	d.wrapped++
	d.mu.Unlock()
	return b, nil
}

func (d *hostDevice) release(b devBuffer) {
	hb := b.(*hostBuffer)
	d.mu.Lock()
	defer d.mu.Unlock()
	if !d.live[hb] {
		panic("test device: release of a buffer not live")
	}
	delete(d.live, hb)
}

func (d *hostDevice) library(name, source string) (library, error) {
	return nil, fmt.Errorf("test device: cannot compile %s", name)
}

func (d *hostDevice) pipeline(library, string) (pipeline, error) {
	return nil, fmt.Errorf("test device: no pipelines")
}

func (d *hostDevice) run(ls []launch) error {
	if len(ls) > 0 {
		return fmt.Errorf("test device: cannot run kernels")
	}
	return nil
}

func (d *hostDevice) close() error {
	d.closed = true
	return nil
}

func unsafeBytes(w []uint64) []byte { return unsafe.Slice((*byte)(unsafe.Pointer(&w[0])), 8*len(w)) }
