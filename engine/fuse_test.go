package engine

import (
	"math"
	"strings"
	"testing"
)

// noEpilogue is a planner that refuses OpMatMulEpilogue, as the GPU
// backends do.
type noEpilogue struct{ planner }

func (noEpilogue) Supports(op Op, _ *Attrs, _ []Value) bool { return op != OpMatMulEpilogue }

// TestEpilogueFusion checks passes 3 and 4 on the encoder's shapes: a
// chain that reads a value twice (GELU reads x for x/2 and for erf) is
// one program, and an element-wise step reading a product no one else
// reads takes the product (matmul_epilogue), but not a product that is
// read elsewhere, is an output, or is broadcast to a larger shape, and
// not on a backend that refuses the fused step.
func TestEpilogueFusion(t *testing.T) {
	ok := func(a *Array, err error) *Array {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return a
	}
	data := func(e *Engine, dims ...int) *Array {
		v := make([]float32, Shape(dims).Size())
		for i := range v {
			v[i] = float32(i%7) - 3
		}
		return ok(e.FromFloat32(v, dims...))
	}
	gelu := func(x, one *Array) *Array {
		e := ok(Erf(ok(Scale(x, float32(1/math.Sqrt2)))))
		return ok(Mul(ok(Scale(x, 0.5)), ok(Add(e, one))))
	}
	cases := []struct {
		name    string
		refuse  bool
		build   func(e *Engine) []*Array
		want    []Op
		program []string // ops the last step's program holds
	}{
		{"bias gelu", false, func(e *Engine) []*Array {
			p := ok(MatMul(data(e, 5, 8), data(e, 6, 8), false, true))
			return []*Array{gelu(ok(Add(p, data(e, 6))), data(e, 1))}
		}, []Op{OpMatMulEpilogue}, []string{"add(0,1)", "erf", "mul"}},
		{"bias gelu, refused", true, func(e *Engine) []*Array {
			p := ok(MatMul(data(e, 5, 8), data(e, 6, 8), false, true))
			return []*Array{gelu(ok(Add(p, data(e, 6))), data(e, 1))}
		}, []Op{OpMatMul, OpFusedElementwise}, []string{"add(0,1)", "erf", "mul"}},
		{"bias residual", false, func(e *Engine) []*Array {
			x := data(e, 5, 8)
			p := ok(MatMul(x, data(e, 8, 8), false, true))
			return []*Array{ok(Add(ok(Add(p, data(e, 8))), x))}
		}, []Op{OpMatMulEpilogue}, []string{"in3;add(0,1);add(3,2)"}},
		{"bias on the left", false, func(e *Engine) []*Array {
			p := ok(MatMul(data(e, 5, 8), data(e, 8, 6), false, false))
			return []*Array{ok(Sub(data(e, 6), p))}
		}, []Op{OpMatMulEpilogue}, []string{"in2;sub(1,0)"}},
		{"product read twice", false, func(e *Engine) []*Array {
			p := ok(MatMul(data(e, 5, 8), data(e, 6, 8), false, true))
			return []*Array{ok(Add(p, data(e, 6))), ok(ReduceMax(p, 0))}
		}, []Op{OpMatMul, OpAdd, OpReduceMax}, nil},
		{"product an output", false, func(e *Engine) []*Array {
			p := ok(MatMul(data(e, 5, 8), data(e, 6, 8), false, true))
			return []*Array{ok(Add(p, data(e, 6))), p}
		}, []Op{OpMatMul, OpAdd}, nil},
		{"product broadcast", false, func(e *Engine) []*Array {
			p := ok(MatMul(data(e, 1, 8), data(e, 6, 8), false, true))
			return []*Array{ok(Add(p, data(e, 4, 6)))}
		}, []Op{OpMatMul, OpAdd}, nil},
		{"value read outside the chain", false, func(e *Engine) []*Array {
			x := ok(Add(data(e, 5, 6), data(e, 6)))
			return []*Array{gelu(x, data(e, 1)), ok(Sum(x, 1))}
		}, []Op{OpAdd, OpFusedElementwise, OpSum}, []string{"in2;scale"}},
	}
	for _, c := range cases {
		var b Backend = planner{}
		if c.refuse {
			b = noEpilogue{}
		}
		e := New("planner", b)
		p, err := e.Explain(c.build(e)...)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		var ops []Op
		var last *Step
		for i, s := range p.Steps {
			ops = append(ops, s.Op)
			if s.Attrs.Program != nil {
				last = &p.Steps[i]
			}
		}
		if len(ops) != len(c.want) {
			t.Errorf("%s: steps %v, want %v:\n%s", c.name, ops, c.want, p)
			continue
		}
		for i := range ops {
			if ops[i] != c.want[i] {
				t.Errorf("%s: steps %v, want %v:\n%s", c.name, ops, c.want, p)
				break
			}
		}
		for _, frag := range c.program {
			if last == nil || !strings.Contains(last.Attrs.Program.String(), frag) {
				t.Errorf("%s: no program holding %q:\n%s", c.name, frag, p)
			}
		}
	}
}
