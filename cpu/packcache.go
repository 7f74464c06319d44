package cpu

import (
	"sync"

	"github.com/silica-go/silica/engine"
)

// The packed panels of a matmul's B operand are cached when B is a
// persistent buffer (a plan input: an evaluated array, such as a model's
// weight matrix) that the blocked product reads a second time unchanged:
// the encoder multiplies by the same weights at every batch, and packing
// them took 15% of its time. An entry is keyed by the buffer and the
// layout it was packed from (strides, shape, dtype, sliver width, panel
// depth) and holds the buffer's generation, which every write bumps
// (Write, CopyBuffer, a step's output), so a changed buffer is packed
// again; freeing the buffer drops its entry.
//
// Memory: the cache holds at most packCacheMax bytes in all (a panel set
// that would pass it is not kept; nothing is evicted to make room), and
// only for buffers seen twice, so a product run once costs nothing. The
// bytes count in MemoryInUse. Buffers wrapped over the caller's memory
// (WrapHost) are never cached: the backend cannot see their writes.

// packCacheMax bounds the bytes of cached packed panels (a variable so
// that the tests can shrink it).
var packCacheMax = 256 << 20

// packKey is the layout an operand was packed from.
type packKey struct {
	rs, cs, n, k, nr, kc int
	dt                   engine.DType
}

// packEntry is one buffer's packed panels, or (data nil) the record that
// it was seen once at generation gen.
type packEntry struct {
	key  packKey
	gen  uint64
	data []float32
}

// packCache maps buffers to their packed panels. Free may come from any
// goroutine, hence the mutex.
type packCache struct {
	mu      sync.Mutex
	entries map[*buffer]*packEntry
	bytes   int64 // bytes of the data held
	hits    int   // products that used cached panels (for the tests)
}

// panels returns the cached panels of b (viewed as the [k, n] matrix m)
// for the current sliver width, packing them with pack on the second
// sighting at one generation when they fit; nil when the product must
// pack its own.
func (pc *packCache) panels(b *buffer, m matrix, n, k int, pack func() []float32) []float32 {
	if b == nil || b.wrapped {
		return nil
	}
	key := packKey{rs: m.rs, cs: m.cs, n: n, k: k, nr: gemmNR, kc: gemmKC, dt: engine.Float32}
	if m.data == nil {
		key.dt = m.dt
	}
	size := int64(4 * k * ((n + gemmNR - 1) / gemmNR * gemmNR))
	gen := b.gen.Load()
	pc.mu.Lock()
	e := pc.entries[b]
	switch {
	case e != nil && e.key == key && e.gen == gen && e.data != nil:
		pc.hits++
		pc.mu.Unlock()
		return e.data
	case e == nil || e.key != key || e.gen != gen || pc.bytes-int64(4*len(e.data))+size > int64(packCacheMax):
		// First sighting (or a changed buffer, or no room): remember it.
		if pc.entries == nil {
			pc.entries = map[*buffer]*packEntry{}
		}
		if e != nil {
			pc.bytes -= int64(4 * len(e.data))
		}
		pc.entries[b] = &packEntry{key: key, gen: gen}
		pc.mu.Unlock()
		return nil
	}
	pc.mu.Unlock()
	data := pack()
	pc.mu.Lock()
	defer pc.mu.Unlock()
	if pc.entries[b] == e { // not freed meanwhile
		e.data = data
		pc.bytes += int64(4 * len(data))
	}
	return data
}

// drop forgets b's panels (b freed).
func (pc *packCache) drop(b *buffer) {
	pc.mu.Lock()
	defer pc.mu.Unlock()
	if e := pc.entries[b]; e != nil {
		pc.bytes -= int64(4 * len(e.data))
		delete(pc.entries, b)
	}
}

// held returns the bytes of cached panels.
func (pc *packCache) held() int64 {
	pc.mu.Lock()
	defer pc.mu.Unlock()
	return pc.bytes
}
