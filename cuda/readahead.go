package cuda

import (
	"math/bits"
	"unsafe"

	"github.com/silica-go/silica/engine"
)

// A run asked for read-ahead (engine.ReadAhead: Engine.EvalRead, which
// the store's searches call for their hits) copies the values the caller
// reads next into pinned host memory of the device's, in the run's
// stream right after its last kernel, before the run's closing sync.
// A view of such a buffer (engine.View, Backend.ViewHost) is then that
// host memory, and a Read a copy out of a view, split over the cores:
// no driver call, nor the device's thread and context (see device.do). Before, a search's
// scores and ids were read after the run, each in a sync and a
// synchronous copy of its own, and copied out of the pinned buffer on
// one or two cores (run 25 B, 64 float16 queries at k = 4096 over 1M
// rows on an H100: 0.45 ms between the end of the kernels and the start
// of building the hits).
//
// A copy stays valid until the next call that runs, writes or copies on
// the device (each bumps device.gen); the next run with read-ahead writes
// the memory over.

// aheadMin and aheadMax bound the device's read-ahead memory: it grows
// by powers of two to hold a run's reads, up to aheadMax; a value that
// does not fit is read as usual.
const (
	aheadMin = 1 << 20
	aheadMax = 64 << 20
)

// aheadCopy is one buffer's copy queued by readAhead.
type aheadCopy struct {
	buf *buffer
	off int // in the read-ahead memory
	n   int
}

// readAhead queues the copies of the values read of p (their buffers in
// bufs) into the read-ahead memory, those that fit in order, and
// returns them, for the run to mark valid once it has synchronized. It
// queues nothing in a dry run or when pinned memory cannot be had.
func (d *device) readAhead(p *engine.Plan, bufs []engine.Buffer, read []int) ([]aheadCopy, error) {
	if d.dry || len(read) == 0 {
		return nil, nil
	}
	var cs []aheadCopy
	total := 0
	for _, v := range read {
		bb, ok := bufs[v].(*buffer)
		n := p.Values[v].Bytes()
		if !ok || n <= 0 || n > bb.size {
			continue
		}
		step := (n + 63) &^ 63
		if total+step > aheadMax {
			continue
		}
		cs = append(cs, aheadCopy{buf: bb, off: total, n: n})
		total += step
	}
	if len(cs) == 0 || !d.aheadReady(total) {
		return nil, nil
	}
	for _, c := range cs {
		if err := check("cuMemcpyDtoHAsync", cuMemcpyDtoHAsync(unsafe.Add(d.ahead, c.off), c.buf.ptr, uint64(c.n), d.stream)); err != nil {
			return nil, err
		}
	}
	return cs, nil
}

// aheadReady makes the read-ahead memory at least n bytes (at most
// aheadMax), growing it by powers of two, and reports whether it is
// there. The stream holds no copy into it: every run that queued one
// has synchronized.
func (d *device) aheadReady(n int) bool {
	if d.aheadSize >= n {
		return true
	}
	if d.ahead != nil {
		cuMemFreeHost(d.ahead)
		d.ahead, d.aheadSize = nil, 0
	}
	size := max(aheadMin, 1<<bits.Len(uint(n-1)))
	if cuMemAllocHost(&d.ahead, uint64(size)) != 0 {
		d.ahead = nil
		return false
	}
	d.aheadSize = size
	return true
}
