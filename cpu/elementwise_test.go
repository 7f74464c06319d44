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

// TestSoftmaxKernels checks affine (d = a*s + t, one rounding: the
// float64 FMA rounded to float32, within one float32 ulp for the double
// rounding) and maxVec (the largest element, -Inf for none) on both
// kernel sets, at every test length and unaligned offsets, the
// destination guarded, and that a NaN score makes softmaxRow's whole row
// NaN whatever maxVec makes of it.
func TestSoftmaxKernels(t *testing.T) {
	bothKernelSets(t, func(t *testing.T) {
		r := rand.New(rand.NewPCG(12, 12))
		for _, n := range testLengths() {
			for off := range 3 {
				a := make([]float32, n+off)[off:]
				normals(r, a)
				d := make([]float32, n+off+1)
				for i := range d {
					d[i] = float32(math.NaN())
				}
				s, c := float32(r.NormFloat64()), float32(r.NormFloat64())
				affine(d[off:off+n], a, s, c)
				for i := range n {
					want := float32(math.FMA(float64(a[i]), float64(s), float64(c)))
					ulp := math.Nextafter32(float32(math.Abs(float64(want))), float32(math.Inf(1))) - float32(math.Abs(float64(want)))
					if e := math.Abs(float64(d[off+i] - want)); !(e <= float64(ulp)) {
						t.Fatalf("affine n=%d [%d]: %v*%v + %v = %v, want %v", n, i, a[i], s, c, d[off+i], want)
					}
				}
				if d[off+n] == d[off+n] || (off > 0 && d[off-1] == d[off-1]) {
					t.Fatalf("affine n=%d wrote outside its destination", n)
				}
				want := float32(math.Inf(-1))
				for _, v := range a {
					want = max(want, v)
				}
				if got := maxVec(a); got != want {
					t.Fatalf("maxVec n=%d off %d: %v, want %v", n, off, got, want)
				}
				if n > 0 { // a NaN score makes the whole softmax row NaN
					a[r.IntN(n)] = float32(math.NaN())
					softmaxRow(a, 0.125)
					for i, v := range a {
						if v == v {
							t.Fatalf("softmax n=%d with a NaN: [%d] = %v, want NaN", n, i, v)
						}
					}
				}
			}
		}
	})
}
