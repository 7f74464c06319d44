package cuda

import (
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"

	"github.com/silica-go/silica/engine"
)

func init() { engine.Register("cuda", driver{}) }

type driver struct{}

// Open opens GPU device ("" or "0" for the first, "1" for the second...).
// Without the NVIDIA driver, a GPU or NVRTC it returns an error wrapping
// engine.ErrUnavailable that says which is missing.
func (driver) Open(device string) (engine.Backend, error) {
	ordinal := 0
	if device != "" {
		n, err := strconv.Atoi(device)
		if err != nil || n < 0 {
			return nil, fmt.Errorf("cuda: device %q: want a device number such as 0 or 1", device)
		}
		ordinal = n
	}
	return New(ordinal)
}

// Devices lists the GPUs the driver sees, "0" to "n-1"; none without the
// driver (engine.DeviceLister).
func (driver) Devices() []string {
	if loadDriver() != nil {
		return nil
	}
	var n int32
	if check("cuDeviceGetCount", cuDeviceGetCount(&n)) != nil {
		return nil
	}
	devs := make([]string, n)
	for i := range devs {
		devs[i] = strconv.Itoa(i)
	}
	return devs
}

// Backend runs plans on one NVIDIA GPU through the CUDA driver API, with
// kernels compiled by NVRTC. Make one with New, or engine.Open("cuda").
type Backend struct {
	d    *device
	pool pool
	cfg  Config // read and written inside do

	// mu is held for reading by every call that hands work to the device
	// (do), for writing by Close, so that the device is released once,
	// after the last such call.
	mu     sync.RWMutex
	closed bool

	refined  atomic.Int64 // queries the TF32 scan had to search again exactly
	seeds    atomic.Int64 // searches seeded (seed.go)
	reseeded atomic.Int64 // queries a seeded search had to search again without a seed

	// poison (tests): Run fills each step's outputs with 0xFF bytes (NaN)
	// before the step runs, so a kernel that skips elements of a buffer an
	// earlier step of the plan filled fails the shared suite.
	poison bool
}

// New opens the GPU of the given ordinal (0 for the first), with the
// Config of the environment (ConfigFromEnv): an invalid one is an error.
// Without the NVIDIA driver, that GPU or NVRTC it returns an error
// wrapping engine.ErrUnavailable that says which is missing.
func New(ordinal int) (*Backend, error) { return NewConfig(ordinal, ConfigFromEnv()) }

// open opens the GPU of the given ordinal with the default Config.
func open(ordinal int) (*Backend, error) {
	if err := loadDriver(); err != nil {
		return nil, unavailable(err)
	}
	var n int32
	if err := check("cuDeviceGetCount", cuDeviceGetCount(&n)); err != nil {
		return nil, unavailable(err)
	}
	if n == 0 {
		return nil, unavailable(fmt.Errorf("the driver (%s) sees no GPU", cudaPath))
	}
	if ordinal >= int(n) {
		return nil, unavailable(fmt.Errorf("device %d asked for, the driver sees %d", ordinal, n))
	}
	if err := loadNVRTC(); err != nil {
		return nil, unavailable(err)
	}
	d, err := openDevice(ordinal)
	if err != nil {
		return nil, unavailable(err)
	}
	return &Backend{d: d, pool: pool{free: map[int][]dptr{}}}, nil
}

// Device describes the GPU.
func (b *Backend) Device() engine.DeviceInfo {
	v, _ := NVRTCVersion()
	return engine.DeviceInfo{
		Backend: "cuda", Device: "cuda:" + strconv.Itoa(b.d.ordinal), Name: b.d.name,
		Memory: int64(b.d.totalMem),
		Version: fmt.Sprintf("driver %d.%d, nvrtc %s, sm_%d, %d SMs, kernels for %s",
			b.d.driver/1000, b.d.driver%1000/10, v, b.d.cc, b.d.sms, b.d.arch),
	}
}

// do runs f with the device (device.do); errClosed once Close has begun.
func (b *Backend) do(f func() error) error {
	b.mu.RLock()
	defer b.mu.RUnlock()
	if b.closed {
		return errClosed
	}
	if b.d.virtual {
		return errLister
	}
	return b.d.do(f)
}

// Alloc returns device memory of at least bytes bytes, from the pool when
// it has a buffer of that size class (without the device's lock or a
// driver call: a search allocates several). Failure is an error naming
// the device's free memory.
func (b *Backend) Alloc(bytes int) (engine.Buffer, error) {
	if bytes > 0 {
		b.mu.RLock()
		var buf *buffer
		if !b.closed {
			buf = b.pool.takeBuffer(bytes)
		}
		b.mu.RUnlock()
		if buf != nil {
			return buf, nil
		}
	}
	var buf *buffer
	err := b.do(func() error {
		var err error
		buf, err = b.d.alloc(&b.pool, bytes)
		return err
	})
	if err != nil {
		return nil, err
	}
	return buf, nil
}

// Free returns a buffer to the pool; any goroutine may call it, but not
// code running inside do. A large buffer (above largeBuffer) goes back to the driver.
func (b *Backend) Free(buf engine.Buffer) {
	if bb, ok := buf.(*buffer); ok {
		b.pool.release(bb)
		if bb.class > largeBuffer {
			_ = b.do(func() error { b.d.trimAbove(&b.pool, largeBuffer); return nil })
		}
	}
}

// MemoryInUse returns the bytes allocated on the device, pooled buffers
// included (engine.MemoryReporter).
func (b *Backend) MemoryInUse() int64 {
	b.pool.mu.Lock()
	defer b.pool.mu.Unlock()
	return b.pool.total
}

// Write copies src into dst at byte offset off: up to uploadSize bytes
// (a search's queries) in the stream's order without waiting for it
// (device.upload), more once the stream is idle.
func (b *Backend) Write(dst engine.Buffer, off int, src []byte) error {
	return b.write(dst, off, len(src), func(ptr uint64) error { return b.d.writeFrom(ptr, src) })
}

// WriteRows copies rows, one after another, into dst at byte offset off
// (engine.RowsWriter): gathered from them straight into the pinned
// staging buffers, without joining them in host memory first.
func (b *Backend) WriteRows(dst engine.Buffer, off int, rows [][]byte) error {
	if len(rows) == 0 {
		return nil
	}
	rb := len(rows[0])
	for i, r := range rows {
		if len(r) != rb {
			return fmt.Errorf("cuda: write of rows: row %d has %d bytes, row 0 %d", i, len(r), rb)
		}
	}
	n := len(rows) * rb
	return b.write(dst, off, n, func(ptr uint64) error {
		if n > bounceSize {
			return b.d.writeStagedFrom(ptr, n, nil, func(p []byte, at int) { gatherParallel(p, rows, rb, at) })
		}
		joined := make([]byte, n)
		gatherParallel(joined, rows, rb, 0)
		return b.d.writeFrom(ptr, joined)
	})
}

// write checks a write of n bytes into dst at off and runs copyIn with
// the address to write, on the device's thread: a write of up to
// uploadSize bytes is queued in the stream (device.upload), after the
// kernels that may still read dst and before those that will; a larger
// one is made with the stream idle.
func (b *Backend) write(dst engine.Buffer, off, n int, copyIn func(ptr uint64) error) error {
	d, ok := dst.(*buffer)
	if !ok || d.freed.Load() {
		return fmt.Errorf("cuda: write into a buffer that is not a live cuda buffer")
	}
	if off < 0 || off+n > d.size {
		return fmt.Errorf("cuda: write of %d bytes at %d into a %d-byte buffer", n, off, d.size)
	}
	if n == 0 {
		return nil
	}
	return b.do(func() error {
		b.d.gen++ // every copy read ahead before may be stale
		if n > uploadSize {
			if err := b.d.sync(); err != nil {
				return err
			}
		}
		return copyIn(d.ptr + uint64(off))
	})
}

func (b *Backend) Read(src engine.Buffer, off int, dst []byte) error {
	s, ok := src.(*buffer)
	if !ok || s.freed.Load() {
		return fmt.Errorf("cuda: read from a buffer that is not a live cuda buffer")
	}
	if off < 0 || off+len(dst) > s.size {
		return fmt.Errorf("cuda: read of %d bytes at %d from a %d-byte buffer", len(dst), off, s.size)
	}
	if len(dst) == 0 {
		return nil
	}
	if done, err := b.readFromAhead(s, off, dst); done || err != nil {
		return err
	}
	return b.do(func() error {
		if err := b.d.sync(); err != nil {
			return err
		}
		if len(dst) > bounceSize {
			return b.d.readStaged(dst, s.ptr+uint64(off))
		}
		return b.d.readSmall(dst, s.ptr+uint64(off))
	})
}

// readFromAhead copies bytes [off, off+len(dst)) of s into dst from
// their read-ahead copy, when it has one valid (readahead.go), and
// reports whether it did: a view of the copy (ViewHost), with no driver
// call.
func (b *Backend) readFromAhead(s *buffer, off int, dst []byte) (bool, error) {
	return b.ViewHost([]engine.Buffer{s}, []int{off + len(dst)}, func(v [][]byte) error {
		copyParallel(dst, v[0][off:])
		return nil
	})
}

// ViewHost shows fn the buffers' read-ahead copies (engine.HostViewer),
// when each has one valid that covers its size (readahead.go): fn runs
// without the device's lock, and the next run that reads ahead waits for
// it before it writes that memory again.
func (b *Backend) ViewHost(bufs []engine.Buffer, sizes []int, fn func(views [][]byte) error) (bool, error) {
	b.mu.RLock()
	defer b.mu.RUnlock()
	if b.closed {
		return false, errClosed
	}
	d := b.d
	d.mu.Lock()
	views := make([][]byte, len(bufs))
	for i, buf := range bufs {
		s, ok := buf.(*buffer)
		if ok {
			views[i] = s.ahead(d, 0, sizes[i])
		}
		if views[i] == nil {
			d.mu.Unlock()
			return false, nil
		}
	}
	d.aheadMu.RLock()
	d.mu.Unlock()
	defer d.aheadMu.RUnlock()
	return true, fn(views)
}

func (b *Backend) Synchronize() error { return b.do(b.d.sync) }

// Close waits for the calls in progress and the device, frees every
// allocation of the pool and releases the context. Buffers still held
// become invalid; later calls fail, and a second Close (concurrent or
// not) returns nil.
func (b *Backend) Close() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return nil
	}
	b.closed = true
	if b.d.virtual {
		return nil
	}
	return b.d.do(func() error {
		err := b.d.sync()
		b.d.trim(&b.pool)
		b.d.release()
		return err
	})
}
