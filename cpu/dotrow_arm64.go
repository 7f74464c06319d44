package cpu

import "github.com/silica-go/silica/engine"

// NEON row kernels (dotrow_arm64.s, from the template dotrow_arm64.h): a
// float32 query against one stored row, converted in registers. They read
// len(q) &^ 15 elements and store two 4-lane partial sums at out: the dot
// product and the sum of squares, or (l2) sum((q - scale·x)²) and zeros.

//go:noescape
func dotRowF32NEON(q []float32, x []byte, scale float32, out *[8]float32)

//go:noescape
func dotRowF16NEON(q []float32, x []byte, scale float32, out *[8]float32)

//go:noescape
func dotRowBF16NEON(q []float32, x []byte, scale float32, out *[8]float32)

//go:noescape
func l2RowF32NEON(q []float32, x []byte, scale float32, out *[8]float32)

//go:noescape
func l2RowF16NEON(q []float32, x []byte, scale float32, out *[8]float32)

//go:noescape
func l2RowBF16NEON(q []float32, x []byte, scale float32, out *[8]float32)

// rowNEON is the assembly kernel of one dtype and metric.
type rowNEON func(q []float32, x []byte, scale float32, out *[8]float32)

// rowNEONs holds the dot and L2 kernels of each stored dtype (int8 rows
// have none on arm64 yet).
var rowNEONs = map[engine.DType][2]rowNEON{
	engine.Float32:  {dotRowF32NEON, l2RowF32NEON},
	engine.Float16:  {dotRowF16NEON, l2RowF16NEON},
	engine.BFloat16: {dotRowBF16NEON, l2RowBF16NEON},
}

// archRowKernel returns the kernel of dt and the metric (see rowKernel).
func archRowKernel(dt engine.DType, l2 bool) rowFunc {
	ks, ok := rowNEONs[dt]
	if !ok {
		return nil
	}
	if l2 {
		return withTail16(ks[1], dt, true)
	}
	return withTail16(ks[0], dt, false)
}

// withTail16 wraps a NEON row kernel: it adds the kernel's lanes and the
// len(q) % 16 elements it leaves.
func withTail16(k rowNEON, dt engine.DType, l2 bool) rowFunc {
	es := dt.Size()
	return func(q []float32, x []byte, scale float32) (float32, float32) {
		n16 := len(q) &^ 15
		var out [8]float32
		k(q[:n16], x[:n16*es], scale, &out)
		r0 := (out[0] + out[1]) + (out[2] + out[3])
		r1 := (out[4] + out[5]) + (out[6] + out[7])
		return rowTail(dt, l2, q, x, n16, scale, r0, r1)
	}
}

// archPairDot returns nil: arm64 has no two-row kernel yet.
func archPairDot() pairFunc { return nil }
