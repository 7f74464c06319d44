package metal

import (
	"fmt"
	"math"
	"testing"

	"github.com/silica-go/silica/engine"
	"github.com/silica-go/silica/engine/backendtest"
)

func TestUnary(t *testing.T) {
	p := engines(t)
	s := seed(t)
	ops := map[string]func(*engine.Array) (*engine.Array, error){
		"neg": engine.Neg, "abs": engine.Abs, "sqrt": engine.Sqrt, "rsqrt": engine.Rsqrt, "exp": engine.Exp, "log": engine.Log,
		"scale": func(a *engine.Array) (*engine.Array, error) { return engine.Scale(a, -1.7) },
	}
	for name, f := range ops {
		for _, dt := range floatTypes {
			for i, shape := range [][]int{{1}, {300}, {7, 33}} {
				c, m := p.uniform(s+uint64(i), 0.25, 3, dt, shape...)
				if name == "neg" || name == "abs" || name == "scale" {
					c, m = p.normal(s+uint64(i), dt, shape...)
				}
				ok := must[*engine.Array](t)
				p.close(fmt.Sprintf("%s %s %v", name, dt, shape), ok(f(c)), ok(f(m)), backendtest.Tol(dt))
			}
		}
	}
}

func TestBinaryBroadcast(t *testing.T) {
	p := engines(t)
	s := seed(t)
	ops := map[string]func(a, b *engine.Array) (*engine.Array, error){
		"add": engine.Add, "sub": engine.Sub, "mul": engine.Mul, "div": engine.Div, "max": engine.Maximum, "min": engine.Minimum,
	}
	pairs := [][2][]int{{{1}, {1}}, {{5, 7}, {7}}, {{5, 1}, {1, 7}}, {{3, 1, 4}, {2, 1}}, {{2, 3, 4, 5}, {3, 1, 5}}, {{257}, {257}}}
	for name, f := range ops {
		for _, dt := range floatTypes {
			for i, sh := range pairs {
				ca, ma := p.normal(s+uint64(2*i), dt, sh[0]...)
				cb, mb := p.normal(s+uint64(2*i+1), dt, sh[1]...)
				ok := must[*engine.Array](t)
				p.close(fmt.Sprintf("%s %s %v %v", name, dt, sh[0], sh[1]), ok(f(ca, cb)), ok(f(ma, mb)), backendtest.Tol(dt))
			}
		}
	}
}

// TestMaxMinNaN: max and min return NaN when either operand is NaN
// (Metal's fmax would return the other operand).
func TestMaxMinNaN(t *testing.T) {
	p := engines(t)
	nan := float32(math.NaN())
	a := []float32{1, nan, 3, nan, -0.5}
	b := []float32{nan, 2, -1, nan, 0.25}
	ca, ma := p.from(f32bytes(a), engine.Float32, 5)
	cb, mb := p.from(f32bytes(b), engine.Float32, 5)
	ok := must[*engine.Array](t)
	p.close("max with NaN", ok(engine.Maximum(ca, cb)), ok(engine.Maximum(ma, mb)), backendtest.TolFloat32)
	p.close("min with NaN", ok(engine.Minimum(ca, cb)), ok(engine.Minimum(ma, mb)), backendtest.TolFloat32)
}

func TestFMA(t *testing.T) {
	p := engines(t)
	s := seed(t)
	for _, dt := range floatTypes {
		ca, ma := p.normal(s, dt, 6, 1, 9)
		cb, mb := p.normal(s+1, dt, 5, 1)
		cc, mc := p.normal(s+2, dt, 9)
		ok := must[*engine.Array](t)
		p.close("fma "+dt.String(), ok(engine.FMA(ca, cb, cc)), ok(engine.FMA(ma, mb, mc)), backendtest.Tol(dt))
	}
}

// TestFusedChain: a chain the engine fuses into one generated kernel on
// the Metal path (checked in the plan), against the CPU's interpreter.
func TestFusedChain(t *testing.T) {
	p := engines(t)
	s := seed(t)
	for _, dt := range floatTypes {
		chain := func(a, b, c *engine.Array) *engine.Array {
			ok := must[*engine.Array](t)
			x := ok(engine.Mul(a, b))
			x = ok(engine.Add(x, c))
			x = ok(engine.Sqrt(ok(engine.Abs(x))))
			x = ok(engine.Maximum(x, ok(engine.Scale(c, 0.5))))
			return ok(engine.Sub(ok(engine.Exp(ok(engine.Neg(x)))), ok(engine.Log(ok(engine.Abs(b))))))
		}
		ca, ma := p.normal(s, dt, 33, 65)
		cb, mb := p.normal(s+1, dt, 65)
		cc, mc := p.normal(s+2, dt, 33, 1)
		want, got := chain(ca, cb, cc), chain(ma, mb, mc)
		plan, err := p.msl.Explain(got)
		if err != nil {
			t.Fatal(err)
		}
		if len(plan.Steps) != 1 || plan.Steps[0].Op != engine.OpFusedElementwise {
			t.Fatalf("want one fused step, got plan:\n%s", plan)
		}
		p.close("fused chain "+dt.String(), want, got, backendtest.Tol(dt))
	}
}

func f32bytes(v []float32) []byte {
	b := make([]byte, 4*len(v))
	for i, f := range v {
		u := math.Float32bits(f)
		b[4*i], b[4*i+1], b[4*i+2], b[4*i+3] = byte(u), byte(u>>8), byte(u>>16), byte(u>>24)
	}
	return b
}
