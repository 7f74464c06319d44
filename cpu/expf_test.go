package cpu

import (
	"math"
	"math/rand/v2"
	"testing"
)

// ulpsOff returns |got - want| in units of float32's spacing at want
// (the spacing of the smallest normal for subnormal want).
func ulpsOff(got float32, want float64) float64 {
	w := float32(want)
	if got == w {
		return 0
	}
	a := math.Abs(float64(w))
	sp := float64(math.Nextafter32(float32(a), float32(math.Inf(1)))) - a
	if a < 0x1p-126 {
		sp = 0x1p-149
	}
	return math.Abs(float64(got)-want) / sp
}

// TestExpErfF32 checks expF32 within 1 ulp of math.Exp and erfF32 within
// 2 of math.Erf (in the result's ulps, or absolute ulps of 1/2 where
// |erf| < 1/2, as the shared suite measures erf) on a million random
// inputs over their whole ranges and at the edges: NaN, ±Inf, ±0, the
// overflow and underflow thresholds, subnormal results, and the erf
// formula switches at 1 and 3.92.
func TestExpErfF32(t *testing.T) {
	edges := []float32{0, float32(math.Copysign(0, -1)), 1, -1, 88.72283, 88.72284, 88.7229, -87.33, -87.34, -100, -103.27, -103.28,
		-104, -104.5, 1e-30, -1e-30, 3.919, 3.92, 3.921, -3.92, 0.9999999, 1.0000001, 6, -9, 1e30, -1e30}
	r := rand.New(rand.NewPCG(11, 11))
	xs := append([]float32(nil), edges...)
	for range 1_000_000 {
		xs = append(xs, float32(r.Float64()*210-105), float32(r.Float64()*10-5))
	}
	for _, x := range xs {
		want := math.Exp(float64(x))
		if got := expF32(x); ulpsOff(got, want) > 1 || (got == 0) != (float32(want) == 0) {
			t.Fatalf("expF32(%g) = %g, want %g (%.2f ulps)", x, got, want, ulpsOff(got, want))
		}
		e := math.Erf(float64(x))
		got := erfF32(x)
		tol := 2 * 0x1p-24 * math.Max(math.Abs(e), 0.5)
		if d := math.Abs(float64(got) - e); d > tol || math.Signbit(float64(got)) != math.Signbit(e) {
			t.Fatalf("erfF32(%g) = %g, want %g (off by %.3g, tolerance %.3g)", x, got, e, d, tol)
		}
	}
	nan := float32(math.NaN())
	inf := float32(math.Inf(1))
	for _, c := range []struct {
		name      string
		got, want float32
	}{{"exp(+Inf)", expF32(inf), inf}, {"exp(-Inf)", expF32(-inf), 0}, {"erf(+Inf)", erfF32(inf), 1}, {"erf(-Inf)", erfF32(-inf), -1}} {
		if c.got != c.want {
			t.Errorf("%s = %g, want %g", c.name, c.got, c.want)
		}
	}
	if g := expF32(nan); g == g {
		t.Errorf("exp(NaN) = %g, want NaN", g)
	}
	if g := erfF32(nan); g == g {
		t.Errorf("erf(NaN) = %g, want NaN", g)
	}
}

// TestExpErfVec checks the vector exp and erf in use (the assembly ones
// where the machine has them) against expF32 and erfF32 within 1 ulp, at
// every length up to 67 and unaligned offsets (the tail done in Go), on
// the edge inputs and random ones, with the destination guarded.
func TestExpErfVec(t *testing.T) {
	needSIMD(t)
	r := rand.New(rand.NewPCG(12, 12))
	edges := []float32{float32(math.NaN()), float32(math.Inf(1)), float32(math.Inf(-1)), 0, float32(math.Copysign(0, -1)),
		88.72283, 88.72284, 88.7229, -87.34, -103.28, -104, -104.5, 1e30, -1e30, 0.9999999, 1, -1, 3.919, 3.92, -3.92, 6, 1e-30}
	for _, f := range []struct {
		name string
		vec  func(d, a []float32)
		one  func(float32) float32
	}{{"exp", expVec, expF32}, {"erf", erfVec, erfF32}} {
		for _, n := range append(testLengths(), 5000) {
			for off := range 2 {
				a := make([]float32, n+off)
				for i := range a {
					switch r.IntN(4) {
					case 0:
						a[i] = edges[r.IntN(len(edges))]
					case 1:
						a[i] = float32(r.Float64()*210 - 105)
					default:
						a[i] = float32(r.NormFloat64() * 3)
					}
				}
				a = a[off:]
				d := make([]float32, n+off+1)
				for i := range d {
					d[i] = -7
				}
				f.vec(d[off:off+n], a)
				for i, x := range a {
					got, want := d[off+i], f.one(x)
					if want != want && got != got {
						continue
					}
					if ulpsOff(got, float64(want)) > 1 || math.Signbit(float64(got)) != math.Signbit(float64(want)) {
						t.Fatalf("%s n=%d [%d]: %s(%g) = %g, want %g", f.name, n, i, f.name, x, got, want)
					}
				}
				if d[off+n] != -7 || (off > 0 && d[off-1] != -7) {
					t.Fatalf("%s n=%d wrote outside its destination", f.name, n)
				}
			}
		}
	}
}
