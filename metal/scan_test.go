package metal

import (
	"fmt"
	"testing"

	"github.com/silica-go/silica/engine"
	"github.com/silica-go/silica/engine/backendtest"
)

// scanCase is one fused search: queries [m, d] against rows [n, d].
type scanCase struct {
	m, n, d, k int
}

// scanCases reach every compiled K (32 to 1024): k = 1, k = n, k > n
// (clamped), k at the limit, queries more than one block holds.
var scanCases = []scanCase{{1, 1, 3, 1}, {1, 50, 7, 50}, {3, 200, 33, 10}, {17, 301, 20, 32}, {5, 700, 16, 100},
	{2, 90, 5, 130}, {1, 1500, 8, maxScanK}, {20, 64, 64, 64}, {6, 333, 9, 200}, {3, 600, 12, 400}}

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
					if err := checkTopK(what, floatsOf(t, cs), c.m, c.n, k, floatsOf(t, mv), int64sOf(t, mi), floatsOf(t, cv), backendtest.TolFloat32); err != nil {
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
	m, n, d, k := 2, 1400, 6, maxScanK+1
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
	if err := checkTopK("fallback", floatsOf(t, cs), m, n, k, floatsOf(t, mv), int64sOf(t, mi), floatsOf(t, cv), backendtest.TolFloat32); err != nil {
		t.Error(err)
	}
}
