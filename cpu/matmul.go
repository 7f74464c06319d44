package cpu

import (
	"github.com/silica-go/silica/engine"
)

func init() {
	kernels[engine.OpMatMul] = matmulKernel
	kernels[engine.OpNormMatMul] = matmulKernel
	kernels[engine.OpL2Distance] = matmulKernel
}

// rowsOf packs a matrix operand as float32 rows of length k: the rows of
// x, or of xᵀ when trans, normalized when norm, dequantized with scales
// when scales is non-nil.
func (c *Backend) rowsOf(x arg, trans, norm bool, scales []float32) ([]float32, int, int) {
	r, k := x.Shape[0], x.Shape[1]
	if trans {
		r, k = k, r
	}
	out := make([]float32, r*k)
	switch {
	case !trans && x.DType == engine.Float32:
		copy(out, f32(x.b)[:r*k])
	case !trans:
		c.parallelFor(r, max(1, 8192/k), func(lo, hi int) {
			for i := lo; i < hi; i++ {
				load(x.DType, x.b, i*k, k, out[i*k:])
			}
		})
	default:
		src := make([]float32, r*k)
		if x.DType == engine.Float32 {
			src = f32(x.b)[:r*k]
		} else {
			load(x.DType, x.b, 0, r*k, src)
		}
		// src is [k][r]; out is [r][k]
		c.parallelFor(r, 16, func(lo, hi int) {
			for i := lo; i < hi; i++ {
				for j := range k {
					out[i*k+j] = src[j*r+i]
				}
			}
		})
	}
	if scales != nil || norm {
		c.parallelFor(r, max(1, 8192/k), func(lo, hi int) {
			for i := lo; i < hi; i++ {
				row := out[i*k : (i+1)*k]
				f := float32(1)
				if scales != nil {
					f = scales[i]
				}
				for j := range row {
					row[j] *= f
				}
				if norm {
					inv := invNorm(row)
					for j := range row {
						row[j] *= inv
					}
				}
			}
		})
	}
	return out, r, k
}

// matmulKernel computes MatMul, NormMatMul and L2Distance: both operands
// are packed as rows along the shared dimension, then every output is one
// dot product (or distance) of two contiguous rows, computed tile by tile
// so that a block of b's rows stays in cache.
func matmulKernel(c *Backend, s *engine.Step, in, out []arg) error {
	a := s.Attrs
	var scales []float32
	if s.Op == engine.OpNormMatMul && a.Quantize {
		scales = f32(in[2].b)
	}
	transB := s.Op != engine.OpMatMul || a.TransB // NormMatMul and L2Distance read b as [n, k]
	A, m, k := c.rowsOf(in[0], a.TransA && s.Op == engine.OpMatMul, a.NormA, nil)
	B, n, _ := c.rowsOf(in[1], !transB, a.NormB, scales)
	y := f32(out[0].b)
	f := dot
	if s.Op == engine.OpL2Distance {
		f = sqDist
	}
	const tileI, tileJ = 16, 64
	ti, tj := (m+tileI-1)/tileI, (n+tileJ-1)/tileJ
	c.parallelFor(ti*tj, 1, func(lo, hi int) {
		for t := lo; t < hi; t++ {
			i0, j0 := (t/tj)*tileI, (t%tj)*tileJ
			for i := i0; i < min(i0+tileI, m); i++ {
				ar := A[i*k : (i+1)*k]
				for j := j0; j < min(j0+tileJ, n); j++ {
					y[i*n+j] = f(ar, B[j*k:(j+1)*k])
				}
			}
		}
	})
	return nil
}
