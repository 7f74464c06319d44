package cpu

import (
	"math"
	"slices"

	"github.com/silica-go/silica/engine"
)

func init() {
	kernels[engine.OpSum] = reduceKernel
	kernels[engine.OpReduceMax] = reduceKernel
	kernels[engine.OpNorm] = reduceKernel
	kernels[engine.OpNormalize] = normalizeKernel
	kernels[engine.OpLayerNorm] = layerNormKernel
}

// reduceChunk is the most elements a reduction converts at a time.
const reduceChunk = 4096

// reduceKernel reduces along Attrs.Axis, viewing the input as
// [outer, length, inner]; sums accumulate in float64. Along the last axis
// (inner = 1) each output reduces one contiguous row with the vector
// kernels; along another axis a block of inner positions is accumulated
// at once, reading contiguous runs.
func reduceKernel(c *Backend, s *engine.Step, in, out []arg) error {
	x := in[0]
	ax := s.Attrs.Axis
	outer, length, inner := engine.AxisView(x.Shape, ax)
	y := f32(out[0].b)
	if inner == 1 {
		c.parallelFor(outer, max(1, 16384/max(length, 1)), func(lo, hi int) {
			scratch := make([]float32, min(length, reduceChunk))
			for o := lo; o < hi; o++ {
				acc := reduceStart(s.Op)
				for l0 := 0; l0 < length; l0 += reduceChunk {
					n := min(reduceChunk, length-l0)
					acc = reduceRow(s.Op, acc, load(x.DType, x.b, o*length+l0, n, scratch))
				}
				y[o] = reduceEnd(s.Op, acc)
			}
		})
		return nil
	}
	blocks := (inner + reduceChunk - 1) / reduceChunk
	c.parallelFor(outer*blocks, max(1, 16384/max(length*min(inner, reduceChunk), 1)), func(lo, hi int) {
		scratch := make([]float32, min(inner, reduceChunk))
		acc := make([]float64, min(inner, reduceChunk))
		for t := lo; t < hi; t++ {
			o, j0 := t/blocks, (t%blocks)*reduceChunk
			n := min(reduceChunk, inner-j0)
			a := acc[:n]
			for j := range a {
				a[j] = reduceStart(s.Op)
			}
			for l := range length {
				row := load(x.DType, x.b, (o*length+l)*inner+j0, n, scratch)
				switch s.Op {
				case engine.OpSum:
					for j, v := range row {
						a[j] += float64(v)
					}
				case engine.OpNorm:
					for j, v := range row {
						a[j] += float64(v) * float64(v)
					}
				case engine.OpReduceMax:
					for j, v := range row {
						a[j] = max(a[j], float64(v))
					}
				}
			}
			for j, v := range a {
				y[o*inner+j0+j] = reduceEnd(s.Op, v)
			}
		}
	})
	return nil
}

// reduceStart is the accumulator of an empty reduction.
func reduceStart(op engine.Op) float64 {
	if op == engine.OpReduceMax {
		return math.Inf(-1)
	}
	return 0
}

// reduceRow folds row into acc.
func reduceRow(op engine.Op, acc float64, row []float32) float64 {
	switch op {
	case engine.OpSum:
		return acc + sum(row)
	case engine.OpNorm:
		return acc + sumSquares(row)
	}
	return max(acc, float64(maxOf(row)))
}

// reduceEnd turns an accumulator into the result.
func reduceEnd(op engine.Op, acc float64) float32 {
	if op == engine.OpNorm {
		acc = math.Sqrt(acc)
	}
	return float32(acc)
}

// maxOf returns the largest element of x, NaN if any is NaN, -Inf for an
// empty x (Go's max propagates NaN).
func maxOf(x []float32) float32 {
	inf := float32(math.Inf(-1))
	m0, m1, m2, m3 := inf, inf, inf, inf
	i := 0
	for ; i+4 <= len(x); i += 4 {
		m0 = max(m0, x[i])
		m1 = max(m1, x[i+1])
		m2 = max(m2, x[i+2])
		m3 = max(m3, x[i+3])
	}
	for ; i < len(x); i++ {
		m0 = max(m0, x[i])
	}
	return max(max(m0, m1), max(m2, m3))
}

// NormEps is the smallest norm Normalize divides by (as in PyTorch's
// normalize): rows with a smaller norm are divided by NormEps.
const NormEps = 1e-12

// invNorm returns 1/max(||x||, NormEps), accumulated in float64.
func invNorm(x []float32) float32 {
	return float32(1 / max(math.Sqrt(sumSquares(x)), NormEps))
}

// normalizeKernel divides each row by its norm: the norm's sum of squares
// in float64, the scaling written straight into a float32 output.
func normalizeKernel(c *Backend, s *engine.Step, in, out []arg) error {
	x, o := in[0], out[0]
	d := x.Shape[len(x.Shape)-1]
	rows := x.Shape.Size() / d
	c.parallelFor(rows, max(1, 16384/d), func(lo, hi int) {
		scratch := make([]float32, d)
		res := make([]float32, d)
		for r := lo; r < hi; r++ {
			row := load(x.DType, x.b, r*d, d, scratch)
			if o.DType == engine.Float32 {
				scale(f32(o.b)[r*d:(r+1)*d], row, invNorm(row))
				continue
			}
			scale(res, row, invNorm(row))
			store(o.DType, o.b, r*d, res)
		}
	})
	return nil
}

// layerNormKernel normalizes each row to zero mean and unit variance and
// applies gamma and beta: the mean and the biased variance of the row in
// float64 (two passes, so that a large mean does not cancel the
// variance), y = (x - mean) * (1/sqrt(var + eps)) * gamma + beta in
// float64, rounded once to the output dtype.
func layerNormKernel(c *Backend, s *engine.Step, in, out []arg) error {
	x, o := in[0], out[0]
	d := x.Shape[len(x.Shape)-1]
	rows := x.Shape.Size() / d
	gamma := slices.Clone(load(in[1].DType, in[1].b, 0, d, make([]float32, d)))
	beta := slices.Clone(load(in[2].DType, in[2].b, 0, d, make([]float32, d)))
	eps := float64(s.Attrs.Eps)
	c.parallelFor(rows, max(1, 16384/d), func(lo, hi int) {
		scratch := make([]float32, d)
		res := make([]float32, d)
		for r := lo; r < hi; r++ {
			row := load(x.DType, x.b, r*d, d, scratch)
			mean := sum(row) / float64(d)
			inv := 1 / math.Sqrt(sqDev(row, mean)/float64(d)+eps)
			y := res
			if o.DType == engine.Float32 {
				y = f32(o.b)[r*d : (r+1)*d]
			}
			for j, x := range row {
				y[j] = float32((float64(x)-mean)*inv*float64(gamma[j]) + float64(beta[j]))
			}
			if o.DType != engine.Float32 {
				store(o.DType, o.b, r*d, res)
			}
		}
	})
	return nil
}

// sqDev returns the sum of (x - mean)² over x in float64, in four
// interleaved partial sums (one sum's chain of dependent adds took
// most of LayerNorm's time).
func sqDev(x []float32, mean float64) float64 {
	var v0, v1, v2, v3 float64
	i := 0
	for ; i+4 <= len(x); i += 4 {
		t0, t1 := float64(x[i])-mean, float64(x[i+1])-mean
		t2, t3 := float64(x[i+2])-mean, float64(x[i+3])-mean
		v0 += t0 * t0
		v1 += t1 * t1
		v2 += t2 * t2
		v3 += t3 * t3
	}
	for ; i < len(x); i++ {
		t := float64(x[i]) - mean
		v0 += t * t
	}
	return (v0 + v1) + (v2 + v3)
}
