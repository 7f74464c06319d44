package cpu

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/silica-go/silica/engine"
)

// specialsAnd returns n random values with infinities, NaN, zeros of both
// signs, subnormals and huge values mixed in.
func specialsAnd(r *rand.Rand, n int) []float32 {
	sp := []float32{float32(math.Inf(1)), float32(math.Inf(-1)), float32(math.NaN()), 0,
		float32(math.Copysign(0, -1)), 1e-42, -3e-39, 3e38, -2e38, 1}
	x := make([]float32, n)
	for i := range x {
		if r.IntN(8) == 0 {
			x[i] = sp[r.IntN(len(sp))]
		} else {
			x[i] = float32(r.NormFloat64() * math.Pow(10, float64(r.IntN(9)-4)))
		}
	}
	return x
}

// TestElementwiseKernels checks the vector FMA, scale, add, sub, mul and
// div against
// engine.ApplyElementwise, bit for bit (any NaN for NaN), at every length
// and unaligned offsets, with the destination poisoned and guarded.
func TestElementwiseKernels(t *testing.T) {
	needSIMD(t)
	r := rand.New(rand.NewPCG(9, 9))
	for _, n := range testLengths() {
		for off := range 3 {
			a, b, c := specialsAnd(r, n+off)[off:], specialsAnd(r, n+1)[1:], specialsAnd(r, n)
			d := make([]float32, n+off+1)
			for i := range d {
				d[i] = -7
			}
			fma(d[off:off+n], a, b, c)
			for i := range n {
				want := engine.ApplyElementwise(engine.OpFMA, 0, a[i], b[i], c[i])
				if !sameFloat(d[off+i], want) {
					t.Fatalf("fma n=%d [%d]: fma(%v, %v, %v) = %v, want %v", n, i, a[i], b[i], c[i], d[off+i], want)
				}
			}
			if d[off+n] != -7 || (off > 0 && d[off-1] != -7) {
				t.Fatalf("fma n=%d wrote outside its destination", n)
			}
			for _, op := range []struct {
				op engine.Op
				f  func(d, a, b []float32)
			}{{engine.OpAdd, addVec}, {engine.OpSub, subVec}, {engine.OpMul, mulVec}, {engine.OpDiv, divVec}} {
				op.f(d[off:off+n], a, b)
				for i := range n {
					if want := engine.ApplyElementwise(op.op, 0, a[i], b[i], 0); !sameFloat(d[off+i], want) {
						t.Fatalf("%s n=%d [%d]: %s(%v, %v) = %v, want %v", op.op, n, i, op.op, a[i], b[i], d[off+i], want)
					}
				}
				if d[off+n] != -7 || (off > 0 && d[off-1] != -7) {
					t.Fatalf("%s n=%d wrote outside its destination", op.op, n)
				}
			}
			s := float32(r.NormFloat64())
			scale(d[off:off+n], a, s)
			for i := range n {
				if want := engine.ApplyElementwise(engine.OpScale, s, a[i], 0, 0); !sameFloat(d[off+i], want) {
					t.Fatalf("scale n=%d [%d]: %v * %v = %v, want %v", n, i, a[i], s, d[off+i], want)
				}
			}
			if d[off+n] != -7 {
				t.Fatalf("scale n=%d wrote past its destination", n)
			}
		}
	}
}

// TestSumKernel checks the float64 sum against a sequential float64 sum.
func TestSumKernel(t *testing.T) {
	needSIMD(t)
	r := rand.New(rand.NewPCG(10, 10))
	for _, n := range testLengths() {
		x := make([]float32, n+1)[1:]
		smallInts(r, x)
		var want float64
		for _, v := range x {
			want += float64(v)
		}
		if got := sum(x); got != want {
			t.Fatalf("sum n=%d: %v, want %v", n, got, want)
		}
		normals(r, x)
		want = 0
		var mag float64
		for _, v := range x {
			want += float64(v)
			mag += math.Abs(float64(v))
		}
		if got := sum(x); math.Abs(got-want) > 1e-14*mag {
			t.Fatalf("sum n=%d: %v, want %v", n, got, want)
		}
	}
}
