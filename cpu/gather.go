package cpu

import (
	"encoding/binary"
	"fmt"

	"github.com/silica-go/silica/engine"
)

func init() {
	kernels[engine.OpGather] = gatherKernel
	kernels[engine.OpSlice] = sliceKernel
}

func gatherKernel(c *Backend, s *engine.Step, in, out []arg) error {
	x, ix := in[0], in[1]
	n := x.Shape[0]
	rowBytes := x.Bytes() / n
	r := ix.Shape.Size()
	for i := range r {
		var v int64
		if ix.DType == engine.Int64 {
			v = int64(binary.LittleEndian.Uint64(ix.b[8*i:]))
		} else {
			v = int64(int32(binary.LittleEndian.Uint32(ix.b[4*i:])))
		}
		if v < 0 || v >= int64(n) {
			return fmt.Errorf("%w: index %d at position %d, rows [0, %d)", engine.ErrIndexOutOfRange, v, i, n)
		}
	}
	at := func(i int) int {
		if ix.DType == engine.Int64 {
			return int(binary.LittleEndian.Uint64(ix.b[8*i:]))
		}
		return int(int32(binary.LittleEndian.Uint32(ix.b[4*i:])))
	}
	// The rows are at random places: each copy would wait for memory, so
	// the start of the row gatherAhead places on is requested first.
	pf := min(rowBytes, gatherPrefetch)
	c.parallelFor(r, max(1, 65536/max(rowBytes, 1)), func(lo, hi int) {
		for i := lo; i < hi; i++ {
			if i+gatherAhead < hi {
				v := at(i + gatherAhead)
				prefetch(x.b[v*rowBytes : v*rowBytes+pf])
			}
			v := at(i)
			copy(out[0].b[i*rowBytes:(i+1)*rowBytes], x.b[v*rowBytes:(v+1)*rowBytes])
		}
	})
	return nil
}

// gatherAhead is how many rows ahead gather requests the row it will copy,
// and gatherPrefetch how many of its first bytes (the hardware prefetcher
// follows the rest of a long row): on a 2-core EPYC, 50K random rows of
// 1.5 KB copied in about half the time of plain copies.
const (
	gatherAhead    = 8
	gatherPrefetch = 512
)

// prefetchNone is the portable prefetch: nothing.
func prefetchNone([]byte) {}

func sliceKernel(c *Backend, s *engine.Step, in, out []arg) error {
	x := in[0]
	es := x.DType.Size()
	r0, r1 := s.Attrs.Rows[0], s.Attrs.Rows[1]
	if len(x.Shape) == 1 {
		copy(out[0].b, x.b[r0*es:r1*es])
		return nil
	}
	d := x.Shape[1]
	c0, c1 := s.Attrs.Cols[0], s.Attrs.Cols[1]
	w := (c1 - c0) * es
	c.parallelFor(r1-r0, max(1, 65536/max(w, 1)), func(lo, hi int) {
		for i := lo; i < hi; i++ {
			src := ((r0+i)*d + c0) * es
			copy(out[0].b[i*w:(i+1)*w], x.b[src:src+w])
		}
	})
	return nil
}
