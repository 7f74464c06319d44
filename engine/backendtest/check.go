package backendtest

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/silica-go/silica/engine"
	"github.com/silica-go/silica/half"
)

// Tolerances on ||out - ref|| / ||ref||, by the dtype the result is stored
// in (float32 arithmetic; 16-bit storage rounds each element by up to half
// an ulp: 2^-11 for float16, 2^-8 for bfloat16).
const (
	TolFloat32  = 1e-5
	TolFloat16  = 2e-3
	TolBFloat16 = 1e-2
)

// SumTol bounds the error of a float32 sum of n terms: it may differ from
// the exact sum by SumTol·√n·Σ|term|, plus the rounding of the result to
// float32. The worst case of any order of addition is (n-1)·2⁻²⁴·Σ|term|;
// rounding errors of both signs grow as √n in practice (Higham and Mary,
// "A new approach to probabilistic rounding error analysis", 2019).
const SumTol = 0x1p-24 * 4

// Tol returns the tolerance for results stored as dt.
func Tol(dt engine.DType) float64 {
	switch dt {
	case engine.Float16:
		return TolFloat16
	case engine.BFloat16:
		return TolBFloat16
	}
	return TolFloat32
}

// suite carries one Run's engine and random source.
type suite struct {
	t   *testing.T
	e   *engine.Engine
	rng *rand.Rand
}

// roundTo rounds a float64 to what a dt buffer holds.
func roundTo(dt engine.DType, v float64) float64 {
	switch dt {
	case engine.Float16:
		return float64(half.Round16(float32(v)))
	case engine.BFloat16:
		return float64(half.RoundB16(float32(v)))
	}
	return float64(float32(v))
}

// random makes an array of dt with values from gen, returning it and the
// values it holds exactly (rounded to dt) as a float64 tensor.
func (s *suite) random(t *testing.T, dt engine.DType, shape engine.Shape, gen func(r *rand.Rand) float64) (*engine.Array, tensor) {
	t.Helper()
	n := shape.Size()
	f := make([]float32, n)
	v := make([]float64, n)
	for i := range f {
		x := gen(s.rng)
		v[i] = roundTo(dt, x)
		f[i] = float32(v[i])
	}
	a, err := s.e.FromFloat32As(f, dt, shape...)
	if err != nil {
		t.Fatalf("upload %s %v: %v", dt, shape, err)
	}
	return a, tensor{shape.Clone(), v}
}

func normal(r *rand.Rand) float64 { return r.NormFloat64() }

func uniform(lo, hi float64) func(*rand.Rand) float64 {
	return func(r *rand.Rand) float64 { return lo + (hi-lo)*r.Float64() }
}

// awayFromZero draws magnitudes in [0.5, 2] with a random sign.
func awayFromZero(r *rand.Rand) float64 {
	v := 0.5 + 1.5*r.Float64()
	if r.IntN(2) == 0 {
		return -v
	}
	return v
}

// values evaluates a and returns its elements as float64.
func values(t *testing.T, a *engine.Array) []float64 {
	t.Helper()
	f, err := a.Float32()
	if err != nil {
		t.Fatalf("evaluate %s: %v", a, err)
	}
	out := make([]float64, len(f))
	for i, x := range f {
		out[i] = float64(x)
	}
	return out
}

// relErr returns ||got - want|| / ||want|| (the absolute error when want
// is zero) and the first position where got is NaN or infinite while want
// is finite, or -1.
func relErr(got, want []float64) (float64, int) {
	var num, den float64
	bad := -1
	for i := range want {
		if math.IsNaN(got[i]) || math.IsInf(got[i], 0) {
			if !math.IsNaN(want[i]) && !math.IsInf(want[i], 0) && bad < 0 {
				bad = i
			}
			continue
		}
		d := got[i] - want[i]
		num += d * d
		den += want[i] * want[i]
	}
	if den == 0 {
		return math.Sqrt(num), bad
	}
	return math.Sqrt(num / den), bad
}

// expect compares a with the reference within tol, naming what.
func expect(t *testing.T, what string, a *engine.Array, shape engine.Shape, want []float64, tol float64) {
	t.Helper()
	if got := a.Shape(); !got.Equal(shape) {
		t.Fatalf("%s: shape %v, want %v", what, got, shape)
	}
	got := values(t, a)
	if len(got) != len(want) {
		t.Fatalf("%s: %d values, want %d", what, len(got), len(want))
	}
	err, bad := relErr(got, want)
	if bad >= 0 {
		t.Fatalf("%s: element %d is %g, want %g (unwritten or overflowed?)", what, bad, got[bad], want[bad])
	}
	if err > tol || math.IsNaN(err) {
		i := worst(got, want)
		t.Fatalf("%s: relative error %.3g > %.3g (worst element %d: got %g, want %g)", what, err, tol, i, got[i], want[i])
	}
}

// expectEach compares a with the reference element by element, each
// within its own tolerance tol[i], naming what. Where the reference is
// NaN or infinite, the result must be NaN or that infinity.
func expectEach(t *testing.T, what string, a *engine.Array, shape engine.Shape, want, tol []float64) {
	t.Helper()
	if got := a.Shape(); !got.Equal(shape) {
		t.Fatalf("%s: shape %v, want %v", what, got, shape)
	}
	got := values(t, a)
	if len(got) != len(want) {
		t.Fatalf("%s: %d values, want %d", what, len(got), len(want))
	}
	for i := range want {
		if got[i] == want[i] || math.IsNaN(got[i]) && math.IsNaN(want[i]) {
			continue
		}
		if d := math.Abs(got[i] - want[i]); !(d <= tol[i]) {
			t.Fatalf("%s: element %d is %g, want %g within %.3g (off by %.3g)", what, i, got[i], want[i], tol[i], d)
		}
	}
}

func worst(got, want []float64) int {
	w, wd := 0, -1.0
	for i := range want {
		if d := math.Abs(got[i] - want[i]); d > wd || math.IsNaN(d) {
			w, wd = i, d
			if math.IsNaN(d) {
				break
			}
		}
	}
	return w
}

// ok fails the test on a build error.
func (s *suite) ok(a *engine.Array, err error) *engine.Array {
	s.t.Helper()
	if err != nil {
		s.t.Fatal(err)
	}
	return a
}

// expectTopK checks values [m, k] and indices [m, k] against the scores
// [m, n] (float64 reference) as described in the package doc.
func expectTopK(t *testing.T, what string, vals, idx *engine.Array, scores []float64, m, n, k int, largest bool, tol float64) {
	t.Helper()
	k = min(k, n)
	gv := values(t, vals)
	gi, err := idx.Int64()
	if err != nil {
		t.Fatalf("%s: indices: %v", what, err)
	}
	if len(gv) != m*k || len(gi) != m*k {
		t.Fatalf("%s: got %d values and %d indices, want %d x %d", what, len(gv), len(gi), m, k)
	}
	for r := range m {
		row := scores[r*n : (r+1)*n]
		want := topkRef(row, k, largest)
		scale := 0.0
		for _, i := range want {
			if !math.IsNaN(row[i]) && !math.IsInf(row[i], 0) {
				scale = math.Max(scale, math.Abs(row[i]))
			}
		}
		scale = math.Max(scale, 1e-30)
		seen := map[int64]bool{}
		for j := range k {
			v, i := gv[r*k+j], gi[r*k+j]
			if i < 0 || i >= int64(n) {
				t.Fatalf("%s: row %d rank %d: index %d outside [0, %d)", what, r, j, i, n)
			}
			if seen[i] {
				t.Fatalf("%s: row %d: index %d returned twice", what, r, i)
			}
			seen[i] = true
			ref := row[want[j]]
			if math.IsNaN(ref) != math.IsNaN(v) {
				t.Fatalf("%s: row %d rank %d: value %g, want %g (NaN must rank after every number)", what, r, j, v, ref)
			}
			if math.IsNaN(ref) {
				continue
			}
			if math.Abs(v-ref) > tol*scale {
				t.Fatalf("%s: row %d rank %d: value %g (index %d), want %g (index %d)", what, r, j, v, i, ref, want[j])
			}
			if own := row[i]; math.Abs(own-v) > tol*scale {
				t.Fatalf("%s: row %d rank %d: index %d has score %g, but %g was reported", what, r, j, i, own, v)
			}
			if j > 0 {
				prev, pi := gv[r*k+j-1], gi[r*k+j-1]
				if prev == v && row[pi] == row[i] && pi > i {
					t.Fatalf("%s: row %d ranks %d,%d: equal scores %g with indices %d before %d (ties go to the smaller index)", what, r, j-1, j, v, pi, i)
				}
			}
		}
	}
}

func name(parts ...any) string { return fmt.Sprint(parts...) }
