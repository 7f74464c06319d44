package store

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestRowStats checks the add's per-row passes (maxAbsSquares and
// scaleInto, in AVX2 where the machine has it) against float64 and the
// Go loops, at lengths around the vector widths and with a non-finite
// value planted in the vector part and in the tail of the row.
func TestRowStats(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	for _, n := range []int{0, 1, 7, 8, 9, 31, 32, 33, 40, 63, 64, 65, 100, 384, 767, 768, 1001} {
		v := make([]float32, n)
		for i := range v {
			v[i] = float32(r.NormFloat64() * math.Exp(4*r.NormFloat64()))
		}
		if n > 3 {
			v[r.IntN(n)] = float32(math.Copysign(1e18, r.NormFloat64())) // the largest, either sign (its square a float32)
		}
		var want, ss float64
		for _, x := range v {
			want = max(want, math.Abs(float64(x)))
			ss += float64(x) * float64(x)
		}
		m, got, ok := maxAbsSquares(v)
		if !ok || float64(m) != want || math.Abs(got-ss) > 1e-6*ss {
			t.Errorf("n=%d: maxAbsSquares %g, %g, %t; want %g, %g, true", n, m, got, ok, want, ss)
		}
		f := float32(r.NormFloat64())
		dst := make([]float32, n+1)
		dst[n] = 42 // past the row: untouched
		scaleInto(dst[:n], v, f)
		for i, x := range v {
			if dst[i] != x*f {
				t.Fatalf("n=%d: scaleInto [%d] = %g, want %g", n, i, dst[i], x*f)
			}
		}
		if dst[n] != 42 {
			t.Fatalf("n=%d: scaleInto wrote past the row", n)
		}
		for _, bad := range []float32{float32(math.NaN()), float32(math.Inf(1)), float32(math.Inf(-1))} {
			for _, at := range []int{0, n / 2, n - 1} {
				if n == 0 {
					continue
				}
				w := append([]float32(nil), v...)
				w[at] = bad
				if _, _, ok := maxAbsSquares(w); ok {
					t.Errorf("n=%d: %g at %d passes maxAbsSquares", n, bad, at)
				}
				if _, _, ok := maxAbsSquaresGo(w); ok {
					t.Errorf("n=%d: %g at %d passes maxAbsSquaresGo", n, bad, at)
				}
			}
		}
	}
}
