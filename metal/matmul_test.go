package metal

import (
	"fmt"
	"math"
	"testing"

	"github.com/silica-go/silica/engine"
	"github.com/silica-go/silica/engine/backendtest"
)

// matmul sizes: one row, not multiples of the 32x32 tile or of the k step
// of 16, and a k smaller than one step.
var matmulSizes = [][3]int{{1, 1, 1}, {1, 40, 7}, {33, 17, 70}, {70, 45, 33}, {5, 64, 16}}

func TestMatMul(t *testing.T) {
	p := engines(t)
	s := seed(t)
	for _, dt := range floatTypes {
		for i, mnk := range matmulSizes {
			m, n, k := mnk[0], mnk[1], mnk[2]
			for _, tr := range [][2]bool{{false, false}, {true, false}, {false, true}, {true, true}} {
				ash, bsh := []int{m, k}, []int{k, n}
				if tr[0] {
					ash = []int{k, m}
				}
				if tr[1] {
					bsh = []int{n, k}
				}
				ca, ma := p.normal(s+uint64(2*i), dt, ash...)
				cb, mb := p.normal(s+uint64(2*i+1), dt, bsh...)
				ok := must[*engine.Array](t)
				p.close(fmt.Sprintf("matmul %s m=%d n=%d k=%d trans=%v", dt, m, n, k, tr),
					ok(engine.MatMul(ca, cb, tr[0], tr[1])), ok(engine.MatMul(ma, mb, tr[0], tr[1])), backendtest.TolFloat32)
			}
		}
	}
}

// TestNormMatMul: Cosine fuses into normalize+matmul (checked in the
// plan); also with one side normalized and with int8 rows.
func TestNormMatMul(t *testing.T) {
	p := engines(t)
	s := seed(t)
	ok := must[*engine.Array](t)
	for _, dt := range floatTypes {
		for i, mnk := range matmulSizes {
			m, n, d := mnk[0], mnk[1], mnk[2]
			ca, ma, cb, mb := p.rowPairs(s+uint64(2*i), dt, m, n, d)
			got := ok(engine.Cosine(ma, mb))
			plan, err := p.msl.Explain(got)
			if err != nil {
				t.Fatal(err)
			}
			if len(plan.Steps) != 1 || plan.Steps[0].Op != engine.OpNormMatMul {
				t.Fatalf("cosine is not one fused step:\n%s", plan)
			}
			what := fmt.Sprintf("%s m=%d n=%d d=%d", dt, m, n, d)
			p.close("cosine "+what, ok(engine.Cosine(ca, cb)), got, backendtest.TolFloat32)
			p.close("normalize(a) x bT "+what, ok(engine.MatMul(ok(engine.Normalize(ca)), cb, false, true)),
				ok(engine.MatMul(ok(engine.Normalize(ma)), mb, false, true)), backendtest.TolFloat32)
			if dt != engine.Float32 {
				continue // dequantized rows are float32; the engine multiplies like dtypes only
			}
			cq, cs, _ := engine.Quantize(cb)
			mq, ms, _ := engine.Quantize(mb)
			p.close("a x dequantize(q)T "+what, ok(engine.MatMul(ca, ok(engine.Dequantize(cq, cs)), false, true)),
				ok(engine.MatMul(ma, ok(engine.Dequantize(mq, ms)), false, true)), backendtest.TolFloat32)
			p.close("cosine with int8 rows "+what, ok(engine.MatMul(ok(engine.Normalize(ca)), ok(engine.Normalize(ok(engine.Dequantize(cq, cs)))), false, true)),
				ok(engine.MatMul(ok(engine.Normalize(ma)), ok(engine.Normalize(ok(engine.Dequantize(mq, ms)))), false, true)), backendtest.TolFloat32)
		}
	}
}

func TestL2Distance(t *testing.T) {
	p := engines(t)
	s := seed(t)
	ok := must[*engine.Array](t)
	for _, dt := range floatTypes {
		for i, mnk := range matmulSizes {
			m, n, d := mnk[0], mnk[1], mnk[2]
			ca, ma, cb, mb := p.rowPairs(s+uint64(2*i), dt, m, n, d)
			what := fmt.Sprintf("l2 %s m=%d n=%d d=%d", dt, m, n, d)
			want := floatsOf(t, ok(engine.L2Distance(ca, cb)))
			got := floatsOf(t, ok(engine.L2Distance(ma, mb)))
			a, b := floatsOf(t, ca), floatsOf(t, cb)
			for r := range m {
				for c := range n {
					// |a|^2 + |b|^2 - 2ab cancels where a is near b: the
					// error is bounded by the terms, not by the distance.
					var terms float64
					for k := range d {
						terms += float64(a[r*d+k])*float64(a[r*d+k]) + float64(b[c*d+k])*float64(b[c*d+k])
					}
					w, g := float64(want[r*n+c]), float64(got[r*n+c])
					if e := math.Abs(g - w); !(e <= backendtest.TolFloat32*(terms+1e-30)) {
						t.Fatalf("%s: element (%d, %d) is %g, want %g (off by %.3g, terms %.3g, tolerance %g of the terms)",
							what, r, c, g, w, e, terms, backendtest.TolFloat32)
					}
				}
			}
		}
	}
}

// rowPairs makes queries [m, d] and rows [n, d] on both engines.
func (p *pair) rowPairs(seed uint64, dt engine.DType, m, n, d int) (ca, ma, cb, mb *engine.Array) {
	p.t.Helper()
	ca, ma = p.normal(seed, dt, m, d)
	cb, mb = p.normal(seed+1, dt, n, d)
	return ca, ma, cb, mb
}
