package cpu

import (
	"encoding/binary"

	"github.com/silica-go/silica/engine"
)

func init() {
	kernels[engine.OpTopK] = topkKernel
}

func putIndices(b []byte, off int, idx []int64) {
	for i, v := range idx {
		binary.LittleEndian.PutUint64(b[8*(off+i):], uint64(v))
	}
}

// topkKernel selects along the last axis. Rows run in parallel; a single
// long row is split among the workers, whose selections are merged.
func topkKernel(c *Backend, s *engine.Step, in, out []arg) error {
	x := in[0]
	n := x.Shape[len(x.Shape)-1]
	rows := x.Shape.Size() / n
	k := s.Attrs.K
	o := order{s.Attrs.Largest}
	vals := f32(out[0].b)
	if rows >= c.workers || n < 1<<15 {
		c.parallelFor(rows, 1, func(lo, hi int) {
			scratch := make([]float32, n)
			idx := make([]int64, k)
			for r := lo; r < hi; r++ {
				row := load(x.DType, x.b, r*n, n, scratch)
				sel := newSelector(o, k)
				for i, v := range row {
					sel.push(v, int64(i))
				}
				sel.sorted(vals[r*k:(r+1)*k], idx)
				putIndices(out[1].b, r*k, idx)
			}
		})
		return nil
	}
	for r := range rows {
		sels := make([]*selector, c.workers)
		used := c.parallelWorkers(n, 1<<14, func(w, lo, hi int) {
			sel := newSelector(o, k)
			row := load(x.DType, x.b, r*n+lo, hi-lo, make([]float32, hi-lo))
			for i, v := range row {
				sel.push(v, int64(lo+i))
			}
			sels[w] = sel
		})
		merged := newSelector(o, k)
		for _, sel := range sels[:used] {
			v, ix := sel.kept()
			for i := range v {
				merged.push(v[i], ix[i])
			}
		}
		idx := make([]int64, k)
		merged.sorted(vals[r*k:(r+1)*k], idx)
		putIndices(out[1].b, r*k, idx)
	}
	return nil
}
