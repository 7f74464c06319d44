package cpu

import (
	"encoding/binary"
	"math"
	"unsafe"

	"github.com/silica-go/silica/engine"
)

func init() {
	kernels[engine.OpTopK] = topkKernel
	kernels[engine.OpMaskRows] = maskRowsKernel
}

// words views a row bitmap's bytes (an Int32 buffer) as uint32 words.
func words(b []byte) []uint32 {
	if len(b) < 4 {
		return nil
	}
	return unsafe.Slice((*uint32)(unsafe.Pointer(&b[0])), len(b)/4)
}

// passes reports whether row r passes bitmap bits.
func passes(bits []uint32, r int) bool { return bits[r>>5]>>(r&31)&1 != 0 }

// worst is the score OpMaskRows gives a failing row: -Inf when the
// larger scores come first, +Inf otherwise.
func worst(largest bool) float32 {
	if largest {
		return float32(math.Inf(-1))
	}
	return float32(math.Inf(1))
}

// maskRowsKernel is OpMaskRows: the scores, as float32, with the rows of
// the last axis that fail the bitmap set to the worst score.
func maskRowsKernel(c *Backend, s *engine.Step, in, out []arg) error {
	x := in[0]
	n := x.Shape[len(x.Shape)-1]
	bits := words(in[1].b)
	w := worst(s.Attrs.Largest)
	y := f32(out[0].b)
	c.parallelFor(x.Shape.Size()/max(n, 1), 1, func(lo, hi int) {
		for r := lo; r < hi; r++ {
			row := y[r*n : (r+1)*n]
			copy(row, load(x.DType, x.b, r*n, n, row))
			maskScores(row, bits, 0, w)
		}
	})
	return nil
}

// maskScores sets scores[r] to w for each row base+r that fails bits,
// without a branch per row (a random half of the rows failing would
// mispredict half the branches).
func maskScores(scores []float32, bits []uint32, base int, w float32) {
	wb := math.Float32bits(w)
	for r := range scores {
		i := base + r
		keep := -(bits[i>>5] >> (i & 31) & 1) // all ones when row i passes
		scores[r] = math.Float32frombits(math.Float32bits(scores[r])&keep | wb&^keep)
	}
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
				release(sel)
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
		release(merged)
		release(sels[:used]...)
	}
	return nil
}
