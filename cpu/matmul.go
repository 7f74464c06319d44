package cpu

import (
	"github.com/silica-go/silica/engine"
)

func init() {
	kernels[engine.OpMatMul] = matmulKernel
	kernels[engine.OpNormMatMul] = matmulKernel
	kernels[engine.OpL2Distance] = matmulKernel
	kernels[engine.OpMatMulEpilogue] = matmulKernel
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

// matmulKernel computes MatMul, MatMulEpilogue and NormMatMul with the blocked gemm
// (the epilogue applied to each block of the product as it is finished),
// reading float32 operands in place through strides; other dtypes are
// converted first, and normalized or dequantized operands are packed as
// rows by rowsOf. L2Distance computes every distance directly (see
// l2Kernel).
func matmulKernel(c *Backend, s *engine.Step, in, out []arg) error {
	a := s.Attrs
	if s.Op == engine.OpL2Distance {
		return l2Kernel(c, in, out)
	}
	y := f32(out[0].b)
	if s.Op == engine.OpMatMul || s.Op == engine.OpMatMulEpilogue {
		m, k := in[0].Shape[0], in[0].Shape[1]
		if a.TransA {
			m, k = k, m
		}
		n := in[1].Shape[1]
		if a.TransB {
			n = in[1].Shape[0]
		}
		am, bm := operand(in[0], k, 1), operand(in[1], n, 1)
		if a.TransA { // stored [k, m]
			am = operand(in[0], 1, m)
		}
		if a.TransB { // stored [n, k]
			bm = operand(in[1], 1, k)
		}
		var bBuf *buffer
		if in[1].Slot < 0 { // a plan input: an evaluated array, maybe weights used again
			bBuf = in[1].buf
		}
		var epi *epilogue
		if s.Op == engine.OpMatMulEpilogue {
			epi = newEpilogue(a.Program, y, m, n, in[2:])
		}
		c.gemmEpi(m, n, k, am, bm, bBuf, y, epi)
		return nil
	}
	var scales []float32
	if a.Quantize {
		scales = f32(in[2].b)
	}
	if in[0].Shape[0] <= directRows {
		if k := rowKernel(in[1].DType, false); k != nil {
			c.fewRows(k, in[0], in[1], a.NormA, a.NormB, scales, y)
			return nil
		}
	}
	var A []float32
	m, k := in[0].Shape[0], in[0].Shape[1]
	if a.NormA {
		A, _, _ = c.rowsOf(in[0], false, true, nil)
	} else {
		A = c.floats(in[0])
	}
	B, n, _ := c.rowsOf(in[1], false, a.NormB, scales)
	c.gemm(m, n, k, matrix{data: A, rs: k, cs: 1}, matrix{data: B, rs: 1, cs: k}, y)
	return nil
}

// operand returns x as a matrix with strides rs, cs: a view of a Float32
// buffer, else of its stored elements, which the gemm converts as it
// packs them.
func operand(x arg, rs, cs int) matrix {
	if x.DType == engine.Float32 {
		return matrix{data: f32(x.b)[:x.Shape.Size()], rs: rs, cs: cs}
	}
	return matrix{rs: rs, cs: cs, raw: x.b, dt: x.DType}
}

// floats returns a float matrix's elements as float32: a view of a
// Float32 buffer, else a converted copy.
func (c *Backend) floats(x arg) []float32 {
	n := x.Shape.Size()
	if x.DType == engine.Float32 {
		return f32(x.b)[:n]
	}
	out := make([]float32, n)
	c.parallelFor(n, 1<<14, func(lo, hi int) {
		load(x.DType, x.b, lo, hi-lo, out[lo:hi])
	})
	return out
}

// l2Kernel computes L2Distance: every squared distance directly from the
// differences (never as |a|² + |b|² - 2a·b, which cancels catastrophically
// for near rows), tile by tile so that a block of b's rows stays in cache.
func l2Kernel(c *Backend, in, out []arg) error {
	m, k, n := in[0].Shape[0], in[0].Shape[1], in[1].Shape[0]
	A, B := c.floats(in[0]), c.floats(in[1])
	y := f32(out[0].b)
	const tileI, tileJ = 16, 64
	ti, tj := (m+tileI-1)/tileI, (n+tileJ-1)/tileJ
	c.parallelFor(ti*tj, 1, func(lo, hi int) {
		for t := lo; t < hi; t++ {
			i0, j0 := (t/tj)*tileI, (t%tj)*tileJ
			for i := i0; i < min(i0+tileI, m); i++ {
				ar := A[i*k : (i+1)*k]
				for j := j0; j < min(j0+tileJ, n); j++ {
					y[i*n+j] = sqDist(ar, B[j*k:(j+1)*k], 1)
				}
			}
		}
	})
	return nil
}

// directRows is the most rows of a for which NormMatMul scores b's rows
// with the direct row kernels instead of the blocked product: each row of
// b is then read once, in place, whatever its dtype, as the fused scan
// reads it (packing and normalizing a copy of b would cost more than the
// product).
const directRows = 2

// fewRows computes NormMatMul for a few rows of a: y[i][j] = a_i·b_j,
// each row normalized when asked, b_j dequantized with scales when given.
func (c *Backend) fewRows(k rowFunc, a, b arg, normA, normB bool, scales, y []float32) {
	A, m, d := c.rowsOf(a, false, normA, nil)
	n := b.Shape[0]
	rb := d * b.DType.Size()
	c.parallelFor(n, 256, func(lo, hi int) {
		for j := lo; j < hi; j++ {
			row := b.b[j*rb : (j+1)*rb]
			scale := float32(1)
			if scales != nil {
				scale = scales[j]
			}
			for i := range m {
				r0, ss := k(A[i*d:(i+1)*d], row, scale)
				if normB {
					r0 *= scale * invNormScaled(ss, scale)
				} else {
					r0 *= scale
				}
				y[i*n+j] = r0
			}
		}
	})
}
