package cuda

import (
	"fmt"
	"math/bits"
	"sync"
	"sync/atomic"
	"unsafe"
)

// largeBuffer is the size above which a freed allocation is given back
// to the driver rather than pooled (see pool).
const largeBuffer = 64 << 20

// buffer is a device allocation of the pool.
type buffer struct {
	ptr   dptr
	size  int // bytes asked for
	class int // bytes allocated
	freed atomic.Bool
	// host holds a copy of the buffer's first hostN bytes in the device's
	// read-ahead memory, valid while the device's gen is hostGen (see
	// readAhead); under the device's lock.
	host    unsafe.Pointer
	hostN   int
	hostGen uint64
}

// ahead returns the read-ahead copy of bytes [off, off+n) of the buffer,
// or nil when it has none valid that covers them; under the device's
// lock.
func (b *buffer) ahead(d *device, off, n int) []byte {
	if b.host == nil || b.hostGen != d.gen || off+n > b.hostN {
		return nil
	}
	return unsafe.Slice((*byte)(unsafe.Add(b.host, off)), n)
}

func (b *buffer) Size() int { return b.size }

// pool keeps freed device allocations by size class for reuse: sizes are
// rounded up to 256 bytes, and above 2 KiB to an eighth of the next power
// of two, so at most 12.5% is wasted and a repeated plan finds its
// buffers again. Allocations stay with the device until an allocation
// fails (the pool is then emptied and the allocation retried) or Close,
// except large ones (above largeBuffer: a store's arena, the upload of a
// large add), which are sized to 2 MiB and given back to the driver when
// freed, so that device memory is the rows plus scratch, not the rows
// plus every arena the store outgrew.
type pool struct {
	mu     sync.Mutex
	free   map[int][]dptr
	total  int64 // bytes allocated from the driver, pooled included
	pooled int64
}

func classOf(n int) int {
	if n <= 2048 {
		return (n + 255) &^ 255
	}
	if n > largeBuffer {
		return (n + 2<<20 - 1) &^ (2<<20 - 1)
	}
	p := 1 << bits.Len(uint(n-1))
	step := p / 8
	return (n + step - 1) / step * step
}

// take returns a pooled allocation of class c, or 0.
func (p *pool) take(c int) dptr {
	p.mu.Lock()
	defer p.mu.Unlock()
	l := p.free[c]
	if len(l) == 0 {
		return 0
	}
	ptr := l[len(l)-1]
	p.free[c] = l[:len(l)-1]
	p.pooled -= int64(c)
	return ptr
}

// takeBuffer returns a pooled buffer for n bytes (n > 0), or nil.
func (p *pool) takeBuffer(n int) *buffer {
	c := classOf(n)
	if ptr := p.take(c); ptr != 0 {
		return &buffer{ptr: ptr, size: n, class: c}
	}
	return nil
}

func (p *pool) put(c int, ptr dptr) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.free[c] = append(p.free[c], ptr)
	p.pooled += int64(c)
}

// drain removes every pooled allocation of a class above limit and
// returns them with their sizes.
func (p *pool) drain(limit int) map[int][]dptr {
	p.mu.Lock()
	defer p.mu.Unlock()
	f := map[int][]dptr{}
	for c, l := range p.free {
		if c > limit && len(l) > 0 {
			f[c] = l
			delete(p.free, c)
			p.pooled -= int64(c * len(l))
		}
	}
	return f
}

// alloc returns a buffer of n bytes; inside do.
func (d *device) alloc(p *pool, n int) (*buffer, error) {
	if n <= 0 {
		return nil, fmt.Errorf("cuda: allocation of %d bytes", n)
	}
	if buf := p.takeBuffer(n); buf != nil {
		return buf, nil
	}
	c := classOf(n)
	var ptr dptr
	r := cuMemAlloc(&ptr, uint64(c))
	if r == cudaErrOutOfMemory {
		d.trim(p)
		r = cuMemAlloc(&ptr, uint64(c))
	}
	if err := check("cuMemAlloc", r); err != nil {
		var free, total uint64
		cuMemGetInfo(&free, &total)
		return nil, fmt.Errorf("cuda: allocate %d bytes (%d free of %d on the device): %w", n, free, total, err)
	}
	p.mu.Lock()
	p.total += int64(c)
	p.mu.Unlock()
	return &buffer{ptr: ptr, size: n, class: c}, nil
}

// trim returns every pooled allocation to the driver.
func (d *device) trim(p *pool) { d.trimAbove(p, 0) }

// trimAbove returns the pooled allocations above limit bytes to the
// driver; inside do.
func (d *device) trimAbove(p *pool, limit int) {
	for c, l := range p.drain(limit) {
		for _, ptr := range l {
			cuMemFree(ptr)
			p.mu.Lock()
			p.total -= int64(c)
			p.mu.Unlock()
		}
	}
}

// release hands b back to the pool (any goroutine; no driver call).
func (p *pool) release(b *buffer) {
	if b == nil || b.ptr == 0 || b.freed.Swap(true) {
		return
	}
	p.put(b.class, b.ptr)
}
