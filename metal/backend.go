package metal

import (
	"errors"
	"fmt"
	"sync"

	"github.com/silica-go/silica/engine"
)

// Backend runs engine plans on a Metal GPU with the MSL kernels of package
// kernels. Open it with engine.Open("metal") on a Mac (darwin/arm64, cgo);
// on other systems the package registers nothing.
//
// It implements engine.Backend and the optional engine.Capabilities,
// engine.HostWrapper and engine.MemoryReporter.
type Backend struct {
	dev  device
	pool *pool
	info engine.DeviceInfo

	mu        sync.Mutex // guards the caches and closed
	libraries map[string]library
	pipelines map[string]pipeline
	failed    map[string]error // libraries and pipelines that did not compile
	closed    bool
}

// poolShare is the fraction of the device's memory that freed buffers may
// occupy while they wait for reuse.
const poolShare = 8

// newBackend makes a backend over a device.
func newBackend(dev device) *Backend {
	info := dev.info()
	limit := int64(256 << 20)
	if info.Memory > 0 {
		limit = max(limit, info.Memory/poolShare)
	}
	return &Backend{
		dev: dev, pool: newPool(limit), info: info,
		libraries: map[string]library{}, pipelines: map[string]pipeline{}, failed: map[string]error{},
	}
}

// buffer is an engine.Buffer on the GPU: a device buffer of a size class
// (Alloc) or over the caller's memory (WrapHost).
type buffer struct {
	dev     devBuffer
	n       int // the bytes asked for
	class   int // the bytes allocated (0 for wrapped memory)
	wrapped bool
}

func (b *buffer) Size() int { return b.n }

// data returns the buffer's usable bytes, as the host sees them.
func (b *buffer) data() []byte { return b.dev.bytes()[:b.n] }

var errClosed = errors.New("metal: backend closed")

// Device describes the GPU: its name, recommendedMaxWorkingSetSize as
// Memory, and whether its memory is unified with the host's.
func (m *Backend) Device() engine.DeviceInfo { return m.info }

// Alloc returns a buffer of at least bytes bytes in shared storage, from
// the pool when one of its size class is free. Its contents are undefined.
// When the device refuses, the pool is emptied and the allocation tried
// once more before the error is returned.
func (m *Backend) Alloc(bytes int) (engine.Buffer, error) {
	if bytes <= 0 {
		return nil, fmt.Errorf("metal: allocation of %d bytes", bytes)
	}
	c := sizeClass(bytes)
	if b := m.pool.get(c); b != nil {
		return &buffer{dev: b, n: bytes, class: c}, nil
	}
	b, err := m.dev.newBuffer(c)
	if err != nil {
		for _, x := range m.pool.drain() {
			m.dev.release(x)
		}
		if b, err = m.dev.newBuffer(c); err != nil {
			return nil, err
		}
	}
	m.pool.allocated(c)
	return &buffer{dev: b, n: bytes, class: c}, nil
}

// WrapHost makes a buffer over data without copying (engine.HostWrapper):
// the GPU reads the caller's memory, such as a memory-mapped store file,
// in place. data must stay valid and unchanged while the buffer lives,
// and the buffer must be freed (arrays free theirs). Where Metal cannot
// use the memory in place (it is not 16-byte aligned, or the device
// refuses it) the data is copied into an allocated buffer instead, which
// MemoryInUse counts.
func (m *Backend) WrapHost(data []byte) (engine.Buffer, error) {
	if len(data) == 0 {
		return nil, fmt.Errorf("metal: wrap of an empty slice")
	}
	if b, err := m.dev.wrap(data); err == nil {
		return &buffer{dev: b, n: len(data), wrapped: true}, nil
	}
	b, err := m.Alloc(len(data))
	if err != nil {
		return nil, err
	}
	copy(b.(*buffer).data(), data)
	return b, nil
}

// Free returns an allocated buffer to the pool (or releases it when the
// pool is full) and releases a wrapped one. It may be called from any
// goroutine.
func (m *Backend) Free(eb engine.Buffer) {
	b, ok := eb.(*buffer)
	if !ok || b.dev == nil {
		return
	}
	d := b.dev
	b.dev = nil
	if b.wrapped || !m.pool.put(b.class, d) {
		m.dev.release(d)
	}
}

// MemoryInUse returns the bytes of device buffers allocated and not
// released, pooled ones included (engine.MemoryReporter); wrapped host
// memory is not counted.
func (m *Backend) MemoryInUse() int64 { return m.pool.bytesInUse() }

// Write copies src into dst at byte offset off. The memory is shared, so
// this is a plain copy; Run has always finished before it returns, so no
// kernel is using dst.
func (m *Backend) Write(dst engine.Buffer, off int, src []byte) error {
	d, ok := dst.(*buffer)
	if !ok || d.dev == nil {
		return fmt.Errorf("metal: write into a buffer that is not a live metal buffer")
	}
	if off < 0 || off+len(src) > d.n {
		return fmt.Errorf("metal: write of %d bytes at %d into a %d-byte buffer", len(src), off, d.n)
	}
	if d.wrapped {
		return fmt.Errorf("metal: write into wrapped host memory (it belongs to the caller)")
	}
	copy(d.data()[off:], src)
	return nil
}

// Read copies len(dst) bytes of src from byte offset off into dst.
func (m *Backend) Read(src engine.Buffer, off int, dst []byte) error {
	s, ok := src.(*buffer)
	if !ok || s.dev == nil {
		return fmt.Errorf("metal: read from a buffer that is not a live metal buffer")
	}
	if off < 0 || off+len(dst) > s.n {
		return fmt.Errorf("metal: read of %d bytes at %d from a %d-byte buffer", len(dst), off, s.n)
	}
	copy(dst, s.data()[off:])
	return nil
}

// Synchronize returns at once: Run waits for its command buffer, so no
// work is ever pending between calls.
func (m *Backend) Synchronize() error { return nil }

// Close releases the pooled buffers, the compiled pipelines and the
// device. Buffers still held by arrays must not be used afterwards.
func (m *Backend) Close() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return nil
	}
	m.closed = true
	for _, b := range m.pool.drain() {
		m.dev.release(b)
	}
	clear(m.pipelines)
	clear(m.libraries)
	clear(m.failed)
	return m.dev.close()
}
