package kernels_test

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/silica-go/silica/engine"
	"github.com/silica-go/silica/kernels"
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

// scanCase is one fused search: queries [m, d] against rows [n, d].
type scanCase struct {
	m, n, d, k int
}

// scanCases reach every compiled K (32 to 1024): k = 1, k = n, k > n
// (clamped), k at the limit, queries more than one block holds.
var scanCases = []scanCase{{1, 1, 3, 1}, {1, 50, 7, 50}, {3, 200, 33, 10}, {17, 301, 20, 32}, {5, 700, 16, 100},
	{2, 90, 5, 130}, {1, 1500, 8, kernels.MaxScanK}, {20, 64, 64, 64}, {6, 333, 9, 200}, {3, 600, 12, 400}}

// scanGraph builds scores and their top-k for a metric: "cosine",
// "dot", "dot-normB", "l2", with int8 rows when quant.
func scanGraph(t *testing.T, metric string, quant bool, q, x *engine.Array, k int, largest bool) (scores, v, i *engine.Array) {
	ok := must[*engine.Array](t)
	if quant {
		qx, sc, err := engine.Quantize(x)
		if err != nil {
			t.Fatal(err)
		}
		x = ok(engine.Dequantize(qx, sc))
	}
	switch metric {
	case "cosine":
		scores = ok(engine.Cosine(q, x))
	case "dot":
		scores = ok(engine.MatMul(q, x, false, true))
	case "dot-normB":
		scores = ok(engine.MatMul(q, ok(engine.Normalize(x)), false, true))
	case "l2":
		scores = ok(engine.L2Distance(q, x))
	}
	v, i, err := engine.TopK(scores, k, largest)
	if err != nil {
		t.Fatal(err)
	}
	return scores, v, i
}

func TestScanTopK(t *testing.T) {
	p := engines(t)
	s := seed(t)
	for ci, c := range scanCases {
		for _, dt := range floatTypes {
			for _, metric := range []string{"cosine", "dot", "dot-normB", "l2"} {
				for _, quant := range []bool{false, true} {
					if quant && dt != engine.Float32 {
						continue // int8 rows pair with float32 queries
					}
					largest := metric != "l2"
					if ci%3 == 2 {
						largest = !largest
					}
					cq, mq := p.normal(s+uint64(3*ci), dt, c.m, c.d)
					cx, mx := p.normal(s+uint64(3*ci+1), dt, c.n, c.d)
					_, mv, mi := scanGraph(t, metric, quant, mq, mx, c.k, largest)
					cs, cv, _ := scanGraph(t, metric, quant, cq, cx, c.k, largest)
					plan, err := p.msl.Explain(mv, mi)
					if err != nil {
						t.Fatal(err)
					}
					last := plan.Steps[len(plan.Steps)-1].Op
					if last != engine.OpScanTopK {
						t.Fatalf("%s: not fused into a scan:\n%s", metric, plan)
					}
					what := fmt.Sprintf("scan %s %s int8=%t m=%d n=%d d=%d k=%d largest=%t", metric, dt, quant, c.m, c.n, c.d, c.k, largest)
					k := min(c.k, c.n)
					if err := checkTopK(what, floatsOf(t, cs), c.m, c.n, k, floatsOf(t, mv), int64sOf(t, mi), floatsOf(t, cv), 1e-5); err != nil {
						t.Error(err)
					}
				}
			}
		}
	}
}

// TestScanFallback: above MaxScanK the engine does not fuse (Supports
// refuses) and runs the matmul and topk_radix kernels instead.
func TestScanFallback(t *testing.T) {
	p := engines(t)
	s := seed(t)
	m, n, d, k := 2, 1400, 6, kernels.MaxScanK+1
	cq, mq := p.normal(s, engine.Float32, m, d)
	cx, mx := p.normal(s+1, engine.Float32, n, d)
	_, mv, mi := scanGraph(t, "cosine", false, mq, mx, k, true)
	cs, cv, _ := scanGraph(t, "cosine", false, cq, cx, k, true)
	plan, err := p.msl.Explain(mv, mi)
	if err != nil {
		t.Fatal(err)
	}
	for _, st := range plan.Steps {
		if st.Op == engine.OpScanTopK {
			t.Fatalf("k=%d fused into a scan:\n%s", k, plan)
		}
	}
	if err := checkTopK("fallback", floatsOf(t, cs), m, n, k, floatsOf(t, mv), int64sOf(t, mi), floatsOf(t, cv), 1e-5); err != nil {
		t.Error(err)
	}
}
