package cpu

import (
	"github.com/silica-go/silica/engine"
	"github.com/silica-go/silica/internal/cpufeat"
)

// Direct row kernels (dotrow_amd64.s, from the template dotrow_amd64.h):
// a float32 query against one stored row, converted in registers. They
// read len(q) &^ 7 elements; rowKernel's closures add the rest.
//
// The dotRow kernels return dot(q, x) and sum(x²); dotOnlyF32 returns
// the same dot product as dotRowF32 (the same operations in the same
// order) and 0; the l2Row kernels
// return sum((q - scale·x)²) (scale·x and the subtraction in one fused
// rounding) and 0.

//go:noescape
func dotRowF32(q []float32, x []byte, scale float32) (r0, r1 float32)

//go:noescape
func dotRowF16(q []float32, x []byte, scale float32) (r0, r1 float32)

//go:noescape
func dotRowBF16(q []float32, x []byte, scale float32) (r0, r1 float32)

//go:noescape
func dotRowI8(q []float32, x []byte, scale float32) (r0, r1 float32)

//go:noescape
func dotOnlyF32(q []float32, x []byte, scale float32) (r0, r1 float32)

//go:noescape
func l2RowF32(q []float32, x []byte, scale float32) (r0, r1 float32)

//go:noescape
func l2RowF16(q []float32, x []byte, scale float32) (r0, r1 float32)

//go:noescape
func l2RowBF16(q []float32, x []byte, scale float32) (r0, r1 float32)

//go:noescape
func l2RowI8(q []float32, x []byte, scale float32) (r0, r1 float32)

// rowAsm is the assembly kernel of one dtype and metric.
type rowAsm func(q []float32, x []byte, scale float32) (r0, r1 float32)

// rowKernel returns the direct kernel for rows of dtype dt, or nil where
// the processor lacks the instructions (the scan then converts blocks of
// rows and uses the float32 kernels). The kernel reads len(q) elements of
// x (bytes of dtype dt); with l2 it returns sum((q - scale·x)²) and 0,
// else dot(q, x) and sum(x²) (scale unused).
func rowKernel(dt engine.DType, l2 bool) func(q []float32, x []byte, scale float32) (float32, float32) {
	if !simd {
		return nil
	}
	var k rowAsm
	switch {
	case dt == engine.Float32 && l2:
		k = l2RowF32
	case dt == engine.Float32:
		k = dotRowF32
	case dt == engine.Float16 && !cpufeat.X86.F16C:
		return nil
	case dt == engine.Float16 && l2:
		k = l2RowF16
	case dt == engine.Float16:
		k = dotRowF16
	case dt == engine.BFloat16 && l2:
		k = l2RowBF16
	case dt == engine.BFloat16:
		k = dotRowBF16
	case dt == engine.Int8 && l2:
		k = l2RowI8
	case dt == engine.Int8:
		k = dotRowI8
	default:
		return nil
	}
	return withTail(k, dt, l2)
}

// withTail wraps an assembly row kernel for rows of dtype dt, adding the
// len(q) % 8 elements it leaves.
func withTail(k rowAsm, dt engine.DType, l2 bool) func(q []float32, x []byte, scale float32) (float32, float32) {
	es := dt.Size()
	return func(q []float32, x []byte, scale float32) (r0, r1 float32) {
		n8 := len(q) &^ 7
		r0, r1 = k(q[:n8], x[:n8*es], scale)
		return rowTail(dt, l2, q, x, n8, scale, r0, r1)
	}
}
