package cpu

import (
	"math"

	"github.com/silica-go/silica/engine"
)

func init() {
	kernels[engine.OpSum] = reduceKernel
	kernels[engine.OpReduceMax] = reduceKernel
	kernels[engine.OpNorm] = reduceKernel
	kernels[engine.OpNormalize] = normalizeKernel
}

// reduceKernel reduces along Attrs.Axis, viewing the input as
// [outer, length, inner]; sums accumulate in float64.
func reduceKernel(c *Backend, s *engine.Step, in, out []arg) error {
	x := in[0]
	ax := s.Attrs.Axis
	outer, length, inner := 1, x.Shape[ax], 1
	for _, d := range x.Shape[:ax] {
		outer *= d
	}
	for _, d := range x.Shape[ax+1:] {
		inner *= d
	}
	y := f32(out[0].b)
	c.parallelFor(outer*inner, max(1, 4096/length), func(lo, hi int) {
		scratch := make([]float32, 1)
		for o := lo; o < hi; o++ {
			base := (o/inner)*length*inner + o%inner
			var acc float64
			if s.Op == engine.OpReduceMax {
				acc = math.Inf(-1)
			}
			for l := range length {
				v := float64(load(x.DType, x.b, base+l*inner, 1, scratch)[0])
				switch s.Op {
				case engine.OpSum:
					acc += v
				case engine.OpNorm:
					acc += v * v
				case engine.OpReduceMax:
					if v != v || acc != acc {
						acc = math.NaN()
					} else {
						acc = max(acc, v)
					}
				}
			}
			if s.Op == engine.OpNorm {
				acc = math.Sqrt(acc)
			}
			y[o] = float32(acc)
		}
	})
	return nil
}

// NormEps is the smallest norm Normalize divides by (as in PyTorch's
// normalize): rows with a smaller norm are divided by NormEps.
const NormEps = 1e-12

// invNorm returns 1/max(||x||, NormEps), accumulated in float64.
func invNorm(x []float32) float32 {
	return float32(1 / max(math.Sqrt(sumSquares(x)), NormEps))
}

func normalizeKernel(c *Backend, s *engine.Step, in, out []arg) error {
	x := in[0]
	d := x.Shape[len(x.Shape)-1]
	rows := x.Shape.Size() / d
	c.parallelFor(rows, max(1, 16384/d), func(lo, hi int) {
		scratch := make([]float32, d)
		res := make([]float32, d)
		for r := lo; r < hi; r++ {
			row := load(x.DType, x.b, r*d, d, scratch)
			inv := invNorm(row)
			for j, v := range row {
				res[j] = v * inv
			}
			store(out[0].DType, out[0].b, r*d, res)
		}
	})
	return nil
}
