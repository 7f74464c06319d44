package metal

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/silica-go/silica/engine"
)

func int64sOf(t *testing.T, a *engine.Array) []int64 {
	t.Helper()
	v, err := a.Int64()
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// checkTopK compares a Metal top-k (values gv, indices gi; rows x k)
// with the CPU's (wv) as FAISS's tests do: the values must match position
// by position within tol (relative to the row's largest |score|), each
// returned index must be distinct and its true score (scores, rows x n,
// from the CPU) must match the value returned for it; indices may differ
// from the CPU's only where scores tie within tol. NaN must be matched by
// NaN.
func checkTopK(what string, scores []float32, rows, n, k int, gv []float32, gi []int64, wv []float32, tol float64) error {
	if len(gv) != rows*k || len(gi) != rows*k || len(wv) != rows*k {
		return fmt.Errorf("%s: %d values and %d indices, want %d", what, len(gv), len(gi), rows*k)
	}
	for r := range rows {
		row := scores[r*n : (r+1)*n]
		scale := 0.0
		for _, s := range row {
			if !math.IsNaN(float64(s)) && !math.IsInf(float64(s), 0) {
				scale = max(scale, math.Abs(float64(s)))
			}
		}
		scale = max(scale, 1e-30)
		near := func(a, b float32) bool {
			if math.IsNaN(float64(a)) || math.IsNaN(float64(b)) {
				return math.IsNaN(float64(a)) && math.IsNaN(float64(b))
			}
			if a == b {
				return true
			}
			return math.Abs(float64(a)-float64(b)) <= tol*scale
		}
		seen := map[int64]bool{}
		for j := range k {
			v, idx, w := gv[r*k+j], gi[r*k+j], wv[r*k+j]
			if idx < 0 || idx >= int64(n) || seen[idx] {
				return fmt.Errorf("%s: row %d position %d: index %d out of range or repeated", what, r, j, idx)
			}
			seen[idx] = true
			if !near(v, w) {
				return fmt.Errorf("%s: row %d position %d: value %g, want %g", what, r, j, v, w)
			}
			if !near(v, row[idx]) {
				return fmt.Errorf("%s: row %d position %d: index %d has score %g but the value returned is %g", what, r, j, idx, row[idx], v)
			}
		}
	}
	return nil
}

// tiedScores returns rows x n scores with many exact ties (small
// integers), -0 and +0, and a few NaN and infinities.
func tiedScores(r *rand.Rand, rows, n int) []float32 {
	v := make([]float32, rows*n)
	for i := range v {
		v[i] = float32(r.IntN(7) - 3)
		switch r.IntN(40) {
		case 0:
			v[i] = float32(math.NaN())
		case 1:
			v[i] = float32(math.Inf(1 - 2*r.IntN(2)))
		case 2:
			v[i] = float32(math.Copysign(0, -1))
		}
	}
	return v
}

func TestTopK(t *testing.T) {
	p := engines(t)
	s := seed(t)
	r := rand.New(rand.NewPCG(s, 4))
	cases := []struct{ rows, n, k int }{{1, 1, 1}, {1, 10, 10}, {3, 37, 5}, {2, 300, 299}, {5, 1000, 77}, {1, 3000, 1500}, {4, 20, 25}}
	for _, dt := range floatTypes {
		for _, c := range cases {
			for _, largest := range []bool{true, false} {
				for _, tied := range []bool{false, true} {
					var vals []float32
					if tied {
						vals = tiedScores(r, c.rows, c.n)
					} else {
						vals = make([]float32, c.rows*c.n)
						for i := range vals {
							vals[i] = float32(r.NormFloat64())
						}
					}
					raw, err := engine.EncodeFloat32(dt, vals)
					if err != nil {
						t.Fatal(err)
					}
					cx, mx := p.from(raw, dt, c.rows, c.n)
					cv, ci, err := engine.TopK(cx, c.k, largest)
					if err != nil {
						t.Fatal(err)
					}
					mv, mi, err := engine.TopK(mx, c.k, largest)
					if err != nil {
						t.Fatal(err)
					}
					// the tie rule is exact: same indices, same values
					what := fmt.Sprintf("topk %s rows=%d n=%d k=%d largest=%t tied=%t", dt, c.rows, c.n, c.k, largest, tied)
					p.same(what+" values", cv, mv)
					p.same(what+" indices", ci, mi)
				}
			}
		}
	}
}
