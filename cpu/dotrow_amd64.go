package cpu

import (
	"github.com/silica-go/silica/engine"
	"github.com/silica-go/silica/internal/cpufeat"
)

// Direct row kernels (dotrow_amd64.s, from the template dotrow_amd64.h):
// a float32 query against one stored row, converted in registers. They
// read len(q) &^ 7 elements; withTail adds the rest.
//
// The dotRow kernels return dot(q, x) and sum(x²); dotOnlyF32 returns the
// same dot product as dotRowF32 (the same operations in the same order)
// and 0; the l2Row kernels return sum((q - scale·x)²) (scale·x and the
// subtraction in one fused rounding) and 0.

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
func dotOnly2F32(q []float32, x, y []byte) (r0, r1 float32)

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

// rowAsms holds the dot and L2 kernels of each stored dtype.
var rowAsms = map[engine.DType][2]rowAsm{
	engine.Float32:  {dotRowF32, l2RowF32},
	engine.Float16:  {dotRowF16, l2RowF16},
	engine.BFloat16: {dotRowBF16, l2RowBF16},
	engine.Int8:     {dotRowI8, l2RowI8},
}

// archRowKernel returns the kernel of dt and the metric (see rowKernel),
// nil for float16 on a processor without F16C.
func archRowKernel(dt engine.DType, l2 bool) rowFunc {
	ks, ok := rowAsms[dt]
	if !ok || dt == engine.Float16 && !cpufeat.X86.F16C {
		return nil
	}
	if l2 {
		return withTail(ks[1], dt, true)
	}
	return withTail(ks[0], dt, false)
}

// withTail wraps an assembly row kernel for rows of dtype dt, adding the
// len(q) % 8 elements it leaves.
func withTail(k rowAsm, dt engine.DType, l2 bool) rowFunc {
	es := dt.Size()
	return func(q []float32, x []byte, scale float32) (r0, r1 float32) {
		n8 := len(q) &^ 7
		r0, r1 = k(q[:n8], x[:n8*es], scale)
		return rowTail(dt, l2, q, x, n8, scale, r0, r1)
	}
}

// archPairDot returns the dot product of a float32 query against two
// float32 rows at once, each as dotOnlyF32 (and its tail) computes it,
// so as the direct kernel's dot product.
func archPairDot() pairFunc {
	return func(q []float32, x, y []byte) (float32, float32) {
		n8 := len(q) &^ 7
		r0, r1 := dotOnly2F32(q[:n8], x[:4*n8], y[:4*n8])
		r0, _ = rowTail(engine.Float32, false, q, x, n8, 1, r0, 0)
		r1, _ = rowTail(engine.Float32, false, q, y, n8, 1, r1, 0)
		return r0, r1
	}
}
