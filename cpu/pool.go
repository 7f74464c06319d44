package cpu

import (
	"math/bits"
	"sync"
	"unsafe"
)

// Freed buffers of poolMin bytes or more are kept for the next Alloc of
// their size class (poolWords), up to poolMax bytes in all: fresh memory
// from the operating system costs a page fault per 4 KB page on first
// touch, which costs more than an element-wise op over the whole array (a
// 40 MB output takes about 10,000 faults), and a large buffer from the
// Go heap is cleared first (memclr took 4% of the CPU encoder's time,
// its activations of 512 x 384 floats being under the 1 MiB this bound
// once was). Smaller buffers come from the Go heap, which recycles them
// itself. Pooled buffers count in MemoryInUse, as engine.MemoryReporter
// asks.
const (
	poolMin = 256 << 10
	poolMax = 512 << 20
)

// poolWords returns the 8-byte words an Alloc of n words takes: n below
// poolMin, else n rounded up to its size class, one of 16 steps from one
// power of two to the next (at most 1/16 more than asked), so that arrays
// of nearby sizes (an encoder's batches, whose token counts vary) reuse
// each other's buffers.
func poolWords(n int) int {
	if 8*n < poolMin {
		return n
	}
	step := 1 << max(0, bits.Len(uint(n))-5)
	return (n + step - 1) / step * step
}

// pool holds freed buffers by size in 8-byte words.
type pool struct {
	mu    sync.Mutex
	free  map[int][][]uint64
	bytes int64 // bytes held
}

// poolReach is the number of size classes above its own that an Alloc
// may take a pooled buffer from (each 1/16 octave: at most about 28%
// more than asked), so that freed buffers of nearby sizes serve each
// other instead of each size class keeping buffers of its own: the CPU
// encoder's batches, whose token counts vary, otherwise left the pool
// holding a set of activation buffers for every class they touched.
const poolReach = 4

// get returns a pooled buffer of words words (words a size class), or of
// one of the poolReach classes above, or nil.
func (p *pool) get(words int) []uint64 {
	if 8*words < poolMin {
		return nil
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	for range poolReach + 1 {
		if list := p.free[words]; len(list) > 0 {
			w := list[len(list)-1]
			p.free[words] = list[:len(list)-1]
			p.bytes -= int64(8 * words)
			return w
		}
		words = poolWords(words + 1)
	}
	return nil
}

// put keeps w for reuse when it is large enough and the pool has room,
// and reports whether it did.
func (p *pool) put(w []uint64) bool {
	if 8*len(w) < poolMin {
		return false
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.bytes+int64(8*len(w)) > poolMax {
		return false
	}
	if p.free == nil {
		p.free = map[int][][]uint64{}
	}
	p.free[len(w)] = append(p.free[len(w)], w)
	p.bytes += int64(8 * len(w))
	return true
}

// held returns the bytes the pool holds.
func (p *pool) held() int64 {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.bytes
}

// wordsOf views 8-byte aligned memory of n bytes as the words it was
// allocated as.
func wordsOf(b []byte) []uint64 {
	return unsafe.Slice((*uint64)(unsafe.Pointer(unsafe.SliceData(b))), (cap(b)+7)/8)
}
