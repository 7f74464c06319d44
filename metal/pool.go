package metal

import (
	"math/bits"
	"sync"
)

// pool keeps freed device buffers for reuse, keyed by size class, as a
// plan that runs again asks for the same sizes. Its idle bytes are bounded;
// past the bound a freed buffer is released at once.
type pool struct {
	mu    sync.Mutex
	free  map[int][]devBuffer // by class
	idle  int64               // bytes held in free
	limit int64               // most idle bytes kept
	inUse int64               // bytes allocated from the device, pooled included
}

func newPool(limit int64) *pool {
	return &pool{free: map[int][]devBuffer{}, limit: limit}
}

// classPage is the granule of large classes: Apple Silicon's page size.
const classPage = 16 << 10

// sizeClass rounds n up to the size actually allocated: up to 1 MiB the
// next of 2^k, 1.25*2^k, 1.5*2^k and 1.75*2^k (at most 25% waste, few
// classes for the many small buffers of a plan); above it a whole number
// of 16 KiB pages, so that large buffers waste almost nothing and a
// repeated plan still finds its exact sizes.
func sizeClass(n int) int {
	if n <= 256 {
		return 256
	}
	if n > 1<<20 {
		return (n + classPage - 1) / classPage * classPage
	}
	k := bits.Len(uint(n-1)) - 1 // 2^k < n <= 2^(k+1)
	step := 1 << (k - 2)
	return (n + step - 1) / step * step
}

// get returns a pooled buffer of class c, or nil.
func (p *pool) get(c int) devBuffer {
	p.mu.Lock()
	defer p.mu.Unlock()
	list := p.free[c]
	if len(list) == 0 {
		return nil
	}
	b := list[len(list)-1]
	p.free[c] = list[:len(list)-1]
	p.idle -= int64(c)
	return b
}

// allocated counts a new device buffer of class c.
func (p *pool) allocated(c int) {
	p.mu.Lock()
	p.inUse += int64(c)
	p.mu.Unlock()
}

// put keeps a freed buffer of class c, or reports false when the pool is
// full and the caller must release it (and it is no longer counted).
func (p *pool) put(c int, b devBuffer) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.idle+int64(c) > p.limit {
		p.inUse -= int64(c)
		return false
	}
	p.free[c] = append(p.free[c], b)
	p.idle += int64(c)
	return true
}

// drain empties the pool, returning the buffers for the caller to release.
func (p *pool) drain() []devBuffer {
	p.mu.Lock()
	defer p.mu.Unlock()
	var out []devBuffer
	for c, list := range p.free {
		out = append(out, list...)
		p.inUse -= int64(c) * int64(len(list))
	}
	clear(p.free)
	p.idle = 0
	return out
}

// bytesInUse returns the bytes allocated from the device, pooled included.
func (p *pool) bytesInUse() int64 {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.inUse
}
