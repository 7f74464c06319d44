package engine

import (
	"fmt"
	"math"
	"regexp"
	"strings"
	"testing"
)

// TestOpTable checks every row of the op table: a name usable as a C
// identifier and unique, a family, a shape rule, an arity (fixed for the
// primitive ops, which the shims' generated tables hold), and fusions
// only on ops a pass can absorb.
func TestOpTable(t *testing.T) {
	name := regexp.MustCompile(`^[a-z][a-z0-9_]*$`)
	seen := map[string]Op{}
	for _, op := range Ops() {
		r := op.Info()
		switch {
		case !name.MatchString(r.Name):
			t.Errorf("op %d: name %q is not lower_case", op, r.Name)
		case seen[r.Name] != OpInvalid:
			t.Errorf("ops %d and %d are both named %q", seen[r.Name], op, r.Name)
		case r.Kind == KindInvalid || int(r.Kind) >= len(kindNames):
			t.Errorf("%s: kind %s", op, r.Kind)
		case r.Shape == "":
			t.Errorf("%s: no shape rule", op)
		case r.Inputs == 0 || r.Inputs < Variadic || r.Outputs == 0 || r.Outputs < Variadic:
			t.Errorf("%s: %d inputs and %d outputs", op, r.Inputs, r.Outputs)
		case op.IsPrimitive() && (r.Inputs == Variadic || r.Outputs == Variadic):
			t.Errorf("%s: a primitive op with a variadic arity", op)
		case (op.IsFused() || r.Kind == KindCustom) && r.Fusion != 0:
			t.Errorf("%s: fusions %b on an op no pass absorbs", op, r.Fusion)
		case op.IsElementwise() != op.FusedBy(FuseChain):
			t.Errorf("%s: element-wise %t but in element-wise chains %t", op, op.IsElementwise(), op.FusedBy(FuseChain))
		}
		seen[r.Name] = op
	}
	if got, want := numOps.String(), fmt.Sprintf("op(%d)", numOps); got != want {
		t.Errorf("String of a value past the table: %q, want %q", got, want)
	}
}

// planner is a backend that accepts every step and runs none: enough to
// build plans (Explain).
type planner struct{}

type hostBuf []byte

func (b hostBuf) Size() int { return len(b) }

func (planner) Device() DeviceInfo                      { return DeviceInfo{Backend: "planner"} }
func (planner) Alloc(n int) (Buffer, error)             { return make(hostBuf, n), nil }
func (planner) Free(Buffer)                             {}
func (planner) Write(d Buffer, off int, s []byte) error { copy(d.(hostBuf)[off:], s); return nil }
func (planner) Read(s Buffer, off int, d []byte) error  { copy(d, s.(hostBuf)[off:]); return nil }
func (planner) Run(*Plan, []Buffer) error               { return ErrUnsupported }
func (planner) Synchronize() error                      { return nil }
func (planner) Close() error                            { return nil }
func (planner) Supports(Op, *Attrs, []Value) bool       { return true }

// TestChainTakesEveryElementwiseOp builds op(inputs) followed by a Neg
// for every element-wise op of the table: pass 3 must fuse the two into
// one step whose Program has both, and Program.Source and
// ApplyElementwise must know the op (a new op's row without them fails
// here).
func TestChainTakesEveryElementwiseOp(t *testing.T) {
	e := New("planner", planner{})
	for _, op := range Ops() {
		if !op.IsElementwise() {
			continue
		}
		var in []*Array
		for i := range op.Info().Inputs {
			a, err := e.FromFloat32([]float32{0.5, 2, 0.25 + float32(i), 3, 4, 5}, 2, 3)
			if err != nil {
				t.Fatal(err)
			}
			in = append(in, a)
		}
		var y *Array
		var err error
		if op.IsUnary() {
			y, err = unary(op, 1.5, in[0])
		} else {
			y, err = elementwise(op, in...)
		}
		if err != nil {
			t.Fatalf("%s: %v", op, err)
		}
		z, err := Neg(y)
		if err != nil {
			t.Fatal(err)
		}
		p, err := e.Explain(z)
		if err != nil {
			t.Fatal(err)
		}
		if len(p.Steps) != 1 || p.Steps[0].Op != OpFusedElementwise {
			t.Errorf("%s then neg: want one fused step, got\n%s", op, p)
			continue
		}
		prog := p.Steps[0].Attrs.Program
		if got, want := prog.String(), op.String()+"("; !strings.Contains(got, want) {
			t.Errorf("%s: program %s", op, got)
		}
		if src, _ := prog.Source(); strings.Contains(src, "unsupported") {
			t.Errorf("%s: Program.Source has no expression for it:\n%s", op, src)
		}
		if v := ApplyElementwise(op, 1.5, 0.5, 2, 0.25); math.IsNaN(float64(v)) {
			t.Errorf("ApplyElementwise(%s, 0.5, 2, 0.25) = NaN: it does not know the op", op)
		}
	}
}
