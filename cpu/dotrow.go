package cpu

import (
	"unsafe"

	"github.com/silica-go/silica/engine"
)

// rowFunc scores a float32 query q against one stored row x (len(q)
// elements of x's dtype): with l2 it returns sum((q - scale·x)²) and 0,
// else dot(q, x) and sum(x²) (scale unused).
type rowFunc func(q []float32, x []byte, scale float32) (float32, float32)

// pairFunc is the dot product of a float32 query against two float32
// rows at once, the direct float32 kernel's results for each.
type pairFunc func(q []float32, x, y []byte) (float32, float32)

// pairDot returns the two-row dot kernel of the architecture, nil
// without one (or without the vector kernels).
func pairDot() pairFunc {
	if !simd {
		return nil
	}
	return archPairDot()
}

// rowKernel returns the direct row kernel for rows of dtype dt, or nil
// where this machine has none (the scan then converts blocks of rows and
// uses the float32 kernels).
func rowKernel(dt engine.DType, l2 bool) rowFunc {
	if !simd {
		return nil
	}
	return archRowKernel(dt, l2)
}

// useRowKernels installs the float32 vector kernels that repeat the row
// kernels' operations: dot from a dot-only kernel, sqDist from the L2
// kernel, sumSquares32 from the sum of squares of the full one.
func useRowKernels(rowDot, rowDotOnly, rowL2 rowFunc) {
	dot = func(a, b []float32) float32 {
		r, _ := rowDotOnly(a, f32Bytes(b[:len(a)]), 1)
		return r
	}
	sqDist = func(a, b []float32, s float32) float32 {
		r, _ := rowL2(a, f32Bytes(b[:len(a)]), s)
		return r
	}
	sumSquares32 = func(x []float32) float32 {
		_, ss := rowDot(x, f32Bytes(x), 1)
		return ss
	}
}

// rowTail adds elements [from, len(q)) of a row of dtype dt (the ones an
// assembly row kernel leaves) to its results r0, r1: with l2 the sum of
// (q - scale·x)², else the dot product and the sum of squares.
func rowTail(dt engine.DType, l2 bool, q []float32, x []byte, from int, scale, r0, r1 float32) (float32, float32) {
	if from == len(q) {
		return r0, r1
	}
	var t [16]float32
	es := dt.Size()
	tail := load(dt, x[:len(q)*es], from, len(q)-from, t[:])
	for i, v := range tail {
		if l2 {
			d := q[from+i] - scale*v
			r0 += d * d
		} else {
			r0 += q[from+i] * v
			r1 += v * v
		}
	}
	return r0, r1
}

// f32Bytes views float32s as bytes.
func f32Bytes(x []float32) []byte {
	if len(x) == 0 {
		return nil
	}
	return unsafe.Slice((*byte)(unsafe.Pointer(&x[0])), 4*len(x))
}
