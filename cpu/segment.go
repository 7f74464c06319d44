package cpu

import (
	"github.com/silica-go/silica/engine"
)

func init() {
	kernels[engine.OpSegmentSum] = segmentKernel
	kernels[engine.OpSegmentMax] = segmentKernel
}

// segmentCols is the fewest columns a task of segmentKernel takes when it
// splits a segment's columns (a few cache lines of a row).
const segmentCols = 64

// segmentKernel reduces each segment of x's rows (Attrs.Segments) column
// by column into its row of the output: a task a (segment, block of
// columns), the blocks narrower when there are fewer segments than
// workers to keep them busy, the tasks taken in turn by the workers. A
// task folds the segment's rows in order into the output row, in float32:
// the sum by the vector add, the maximum by Go's max, which propagates
// NaN.
func segmentKernel(c *Backend, s *engine.Step, in, out []arg) error {
	x := in[0]
	h := x.Shape[1]
	lengths := s.Attrs.Segments
	y := f32(out[0].b)[:len(lengths)*h]
	starts := make([]int, len(lengths))
	for i := 1; i < len(lengths); i++ {
		starts[i] = starts[i-1] + lengths[i-1]
	}
	blocks := min((4*c.workers+len(lengths)-1)/len(lengths), (h+segmentCols-1)/segmentCols)
	cols := (h + blocks - 1) / blocks
	blocks = (h + cols - 1) / cols
	c.parallelTasks(len(lengths)*blocks, func() func(t int) {
		scratch := make([]float32, cols)
		return func(t int) {
			seg, c0 := t/blocks, (t%blocks)*cols
			n := min(cols, h-c0)
			acc := y[seg*h+c0 : seg*h+c0+n]
			r0 := starts[seg]
			copy(acc, load(x.DType, x.b, r0*h+c0, n, scratch))
			for r := r0 + 1; r < r0+lengths[seg]; r++ {
				row := load(x.DType, x.b, r*h+c0, n, scratch)
				if s.Op == engine.OpSegmentSum {
					addVec(acc, acc, row)
					continue
				}
				for j, v := range row {
					acc[j] = max(acc[j], v)
				}
			}
		}
	})
	return nil
}
