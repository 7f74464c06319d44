package cpu

import (
	"fmt"
	"runtime"
	"sync/atomic"
	"unsafe"

	"github.com/silica-go/silica/engine"
)

func init() { engine.Register("cpu", driver{}) }

type driver struct{}

func (driver) Open(device string) (engine.Backend, error) {
	if device != "" && device != "cpu" {
		return nil, fmt.Errorf("cpu: unknown device %q (the cpu backend has one device, \"cpu\")", device)
	}
	return New()
}

// Devices lists the one device (engine.DeviceLister).
func (driver) Devices() []string { return []string{"cpu"} }

// Backend runs plans on the host's cores. Make one with New, or through
// engine.Open("cpu").
type Backend struct {
	workers int
	inUse   atomic.Int64
	pool    pool
	packs   packCache   // packed panels of persistent matmul operands (packcache.go)
	screens screenCache // the screened scan's rows in bfloat16 (screencache.go)
	// poison, a test hook (nil in use; export_test.go sets
	// backendtest.Poison), fills new buffers, and each step's outputs
	// before the step runs, so that an element a kernel leaves unwritten
	// shows, even in a slot an earlier step of the plan used.
	poison func([]byte)
}

// New returns a CPU backend using GOMAXPROCS worker goroutines. It does
// not fail; it returns an error as every backend's New does.
func New() (*Backend, error) { return newBackend(), nil }

// newBackend is New without the error.
func newBackend() *Backend { return &Backend{workers: runtime.GOMAXPROCS(0)} }

// buffer is host memory, 8-byte aligned so that it can be viewed as any
// element type.
type buffer struct {
	b       []byte
	wrapped bool          // memory the caller owns (WrapHost)
	gen     atomic.Uint64 // bumped by every write, so that packCache sees changes
}

func (b *buffer) Size() int { return len(b.b) }

func (c *Backend) Device() engine.DeviceInfo {
	return engine.DeviceInfo{
		Backend: "cpu", Device: "cpu", Name: cpuName(),
		Unified: true, Version: fmt.Sprintf("%s, %d workers", runtime.Version(), c.workers),
	}
}

func cpuName() string {
	return fmt.Sprintf("%s/%s, %d cores", runtime.GOOS, runtime.GOARCH, runtime.NumCPU())
}

// Alloc returns 8-byte aligned host memory. Its contents are undefined:
// a large buffer may be one freed before (see poolMin).
func (c *Backend) Alloc(bytes int) (engine.Buffer, error) {
	if bytes <= 0 {
		return nil, fmt.Errorf("cpu: allocation of %d bytes", bytes)
	}
	n := poolWords((bytes + 7) / 8)
	words := c.pool.get(n)
	if words == nil {
		words = make([]uint64, n)
	}
	b := unsafe.Slice((*byte)(unsafe.Pointer(&words[0])), 8*len(words)) // maybe a class above n's (pool.get)
	if c.poison != nil {
		c.poison(b)
	}
	c.inUse.Add(int64(bytes))
	return &buffer{b: b[:bytes]}, nil
}

// WrapHost uses data in place (engine.HostWrapper).
func (c *Backend) WrapHost(data []byte) (engine.Buffer, error) {
	if len(data) == 0 {
		return nil, fmt.Errorf("cpu: wrap of an empty slice")
	}
	return &buffer{b: data, wrapped: true}, nil
}

// Free releases a buffer; large ones are kept for reuse (pool.go).
func (c *Backend) Free(b engine.Buffer) {
	bb, ok := b.(*buffer)
	if !ok {
		return
	}
	c.screens.drop(bb)
	if !bb.wrapped && bb.b != nil {
		c.inUse.Add(-int64(len(bb.b)))
		c.packs.drop(bb)
		c.pool.put(wordsOf(bb.b))
		bb.b = nil
	}
}

// MemoryInUse returns the bytes of buffers allocated and not freed, plus
// the freed ones kept for reuse, the cached packed panels and screen
// rows (engine.MemoryReporter); wrapped host memory is not counted.
func (c *Backend) MemoryInUse() int64 {
	return c.inUse.Load() + c.pool.held() + c.packs.held() + c.screens.bytes()
}

func (c *Backend) Write(dst engine.Buffer, off int, src []byte) error {
	d := dst.(*buffer)
	if off < 0 || off+len(src) > len(d.b) {
		return fmt.Errorf("cpu: write of %d bytes at %d into a %d-byte buffer", len(src), off, len(d.b))
	}
	copy(d.b[off:], src)
	d.gen.Add(1)
	return nil
}

// WriteRows copies rows, one after another, into dst at byte offset off
// (engine.RowsWriter), with no joined copy of them first.
func (c *Backend) WriteRows(dst engine.Buffer, off int, rows [][]byte) error {
	d := dst.(*buffer)
	n := 0
	for _, r := range rows {
		n += len(r)
	}
	if off < 0 || off+n > len(d.b) {
		return fmt.Errorf("cpu: write of %d bytes at %d into a %d-byte buffer", n, off, len(d.b))
	}
	for _, r := range rows {
		off += copy(d.b[off:], r)
	}
	d.gen.Add(1)
	return nil
}

func (c *Backend) Read(src engine.Buffer, off int, dst []byte) error {
	s := src.(*buffer)
	if off < 0 || off+len(dst) > len(s.b) {
		return fmt.Errorf("cpu: read of %d bytes at %d from a %d-byte buffer", len(dst), off, len(s.b))
	}
	copy(dst, s.b[off:])
	return nil
}

// ViewHost shows fn the buffers' own memory (engine.HostViewer).
func (c *Backend) ViewHost(bufs []engine.Buffer, sizes []int, fn func(views [][]byte) error) (bool, error) {
	views := make([][]byte, len(bufs))
	for i, b := range bufs {
		s, ok := b.(*buffer)
		if !ok || sizes[i] > len(s.b) {
			return false, nil
		}
		views[i] = s.b[:sizes[i]:sizes[i]]
	}
	return true, fn(views)
}

func (c *Backend) Synchronize() error { return nil }

func (c *Backend) Close() error { return nil }

// Supports reports every op and fusion as supported: the CPU backend has
// all of them, with no limit on k (engine.Capabilities), except a matmul
// epilogue over inputs that are not Float32 matrices (epilogueFits).
func (c *Backend) Supports(op engine.Op, attrs *engine.Attrs, in []engine.Value) bool {
	if op == engine.OpMatMulEpilogue {
		return epilogueFits(attrs, in)
	}
	_, ok := kernels[op]
	return ok
}

// kernel runs one step. vals are the step's input and output values.
type kernel func(c *Backend, s *engine.Step, in, out []arg) error

// arg is a value with its buffer's bytes and the buffer.
type arg struct {
	engine.Value
	b   []byte
	buf *buffer
}

var kernels = map[engine.Op]kernel{}

func (c *Backend) Run(p *engine.Plan, bufs []engine.Buffer) error {
	for i := range p.Steps {
		s := &p.Steps[i]
		k, ok := kernels[s.Op]
		if !ok {
			return fmt.Errorf("%w: cpu has no kernel for %s", engine.ErrUnsupported, s.Op)
		}
		in := make([]arg, len(s.In))
		for j, v := range s.In {
			b := bufs[v].(*buffer)
			in[j] = arg{p.Values[v], b.b, b}
		}
		out := make([]arg, len(s.Out))
		for j, v := range s.Out {
			b := bufs[v].(*buffer)
			b.gen.Add(1)
			out[j] = arg{p.Values[v], b.b, b}
			if c.poison != nil {
				c.poison(out[j].b)
			}
		}
		if err := k(c, s, in, out); err != nil {
			return fmt.Errorf("cpu: step %d %s: %w", i, engine.DescribeStep(s), err)
		}
	}
	return nil
}
