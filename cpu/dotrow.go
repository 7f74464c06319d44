package cpu

import (
	"unsafe"

	"github.com/silica-go/silica/engine"
)

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
