package cpu

import (
	"math"
	"sync"
	"unsafe"

	"github.com/silica-go/silica/engine"
)

// The screened scan's rows in bfloat16 are kept between scans of the same
// rows: without them every scan converts every row again (64 queries
// over 10K x 768 float32 rows on the 2-core development machine: 28% of
// the scan's time, and each of the two workers converted every row again
// for 1024 queries). An entry is keyed by the rows' buffer and what was
// converted (the rows' place in it, their count, length and dtype, the
// low parts or not, the sum of squares taken) and holds the buffer's
// generation, which every write bumps, so changed rows are converted
// again. A wrapped buffer (WrapHost, such as a store's rows on the host)
// is unchanged for its life by contract. Freeing the buffer drops its
// entry.
//
// Memory: the entries hold at most screenCacheMax bytes in all (rows that
// would pass it are converted by each scan, as before); the bytes count
// in MemoryInUse.

// screenCacheMax bounds the bytes of cached screen rows (a variable so
// that the tests can shrink it): the 64 MiB of scratch a store may use
// beside its rows, about 43K rows of 768 values in high parts only.
var screenCacheMax int64 = 64 << 20

// amxReadsLo reports whether amxDots reads the low parts of the rows (the
// tile unit's three products do; AVX-512 BF16's one product does not):
// the cache then holds them too.
var amxReadsLo = true

// screenKey is what a cache entry converted.
type screenKey struct {
	off, n, d, dp int
	dt            engine.DType
	lo, normB     bool
	gen           uint64
}

// screenRows is one buffer's converted rows: row r's high (and low)
// parts at [r*dp, (r+1)*dp), zero past d, and amxRows rows of zeros past
// the last, so that a block of rows starting at any row can be read; and
// the sum of squares prepare takes for each row (the split's, or
// sumSquares32's when the scan normalizes rows).
type screenRows struct {
	key    screenKey
	hi, lo []uint16
	ss     []float32
}

func (e *screenRows) bytes() int64 { return int64(2*(len(e.hi)+len(e.lo)) + 4*len(e.ss)) }

// screenCache maps buffers to their converted rows. Free may come from
// any goroutine, hence the mutex, which a conversion holds (Free of that
// buffer then waits for it).
type screenCache struct {
	mu      sync.Mutex
	entries map[*buffer]*screenRows
	held    int64
	builds  int // conversions made (for the tests)
}

// rows returns the converted rows of j's stored rows (n of them), from
// the cache or converted now when they fit; nil when the scan must
// convert its own.
func (sc *screenCache) rows(c *Backend, j *scanJob, n, dp int) *screenRows {
	x := j.x
	if x.buf == nil || len(x.b) == 0 || len(x.buf.b) == 0 {
		return nil
	}
	key := screenKey{
		off: int(uintptr(unsafe.Pointer(&x.b[0])) - uintptr(unsafe.Pointer(&x.buf.b[0]))),
		n:   n, d: j.d, dp: dp, dt: x.DType, lo: amxReadsLo, normB: j.a.NormB, gen: x.buf.gen.Load(),
	}
	parts := int64(n+amxRows) * int64(dp)
	size := 2*parts + 4*int64(n)
	if key.lo {
		size += 2 * parts
	}
	sc.mu.Lock()
	defer sc.mu.Unlock()
	old := sc.entries[x.buf]
	if old != nil && old.key == key {
		return old
	}
	free := screenCacheMax - sc.held
	if old != nil {
		free += old.bytes()
	}
	if size > free {
		return nil
	}
	e := &screenRows{key: key, hi: make([]uint16, parts), ss: make([]float32, n)}
	if key.lo {
		e.lo = make([]uint16, parts)
	}
	c.parallelFor(n, 64, func(r0, r1 int) {
		row := make([]float32, j.d)
		scratch := make([]uint16, dp)
		for r := r0; r < r1; r++ {
			v := load(x.DType, x.b, r*j.d, j.d, row)
			ah, al := e.hi[r*dp:(r+1)*dp], scratch
			if key.lo {
				al = e.lo[r*dp : (r+1)*dp]
			}
			ss := splitRow(ah, al, v)
			if !(ss <= math.MaxFloat32) || ss < 0x1p-80 {
				// Never screened (see prepare): no parts, as prepare
				// clears them.
				clear(ah)
				clear(al)
			}
			if key.normB {
				ss = sumSquares32(v)
			}
			e.ss[r] = ss
		}
	})
	if old != nil {
		sc.held -= old.bytes()
	}
	if sc.entries == nil {
		sc.entries = map[*buffer]*screenRows{}
	}
	sc.entries[x.buf] = e
	sc.held += e.bytes()
	sc.builds++
	return e
}

// drop forgets b's rows (b freed).
func (sc *screenCache) drop(b *buffer) {
	sc.mu.Lock()
	defer sc.mu.Unlock()
	if e := sc.entries[b]; e != nil {
		sc.held -= e.bytes()
		delete(sc.entries, b)
	}
}

// bytes returns the bytes of cached rows.
func (sc *screenCache) bytes() int64 {
	sc.mu.Lock()
	defer sc.mu.Unlock()
	return sc.held
}
