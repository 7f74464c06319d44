package cpu

import (
	"math"
	"testing"

	"github.com/silica-go/silica/engine"
)

// TestFewRowsMatchesProduct checks the direct path of NormMatMul (one or
// two rows of a) against the blocked product's path (three rows) on every
// stored form, int8 with scales included, and both normalizations.
func TestFewRowsMatchesProduct(t *testing.T) {
	e := engine.New("cpu", newBackend())
	for _, dt := range []engine.DType{engine.Float32, engine.Float16, engine.BFloat16, engine.Int8} {
		for _, norm := range []bool{false, true} {
			q, _ := e.RandomNormal(1, engine.Float32, 3, 77)
			xf, _ := e.RandomNormal(2, engine.Float32, 301, 77)
			var x *engine.Array
			switch dt {
			case engine.Int8:
				qi, sc, _ := engine.Quantize(xf)
				x, _ = engine.Dequantize(qi, sc)
				q, _ = engine.Cast(q, engine.Float32)
			default:
				x, _ = engine.Cast(xf, dt)
				q, _ = engine.Cast(q, dt)
			}
			build := func(a *engine.Array) *engine.Array {
				b := x
				if norm {
					a, _ = engine.Normalize(a)
					b, _ = engine.Normalize(x)
				}
				y, err := engine.MatMul(a, b, false, true)
				if err != nil {
					t.Fatal(err)
				}
				return y
			}
			all := build(q)
			one, _ := engine.SliceRows(q, 1, 2)
			p, _ := e.Explain(build(one))
			if p.Steps[len(p.Steps)-1].Op != engine.OpNormMatMul && (norm || dt == engine.Int8) {
				t.Fatalf("%s norm=%t: not a NormMatMul:\n%s", dt, norm, p)
			}
			want, _ := all.Float32()
			got, err := build(one).Float32()
			if err != nil {
				t.Fatal(err)
			}
			for j := range got {
				w := want[301+j]
				if math.Abs(float64(got[j]-w)) > 1e-5*math.Max(1, math.Abs(float64(w))) {
					t.Fatalf("%s norm=%t: column %d: direct %g, product %g", dt, norm, j, got[j], w)
				}
			}
		}
	}
}
