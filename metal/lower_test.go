package metal

import (
	"errors"
	"testing"

	"github.com/silica-go/silica/engine"
)

// TestLowerRefuses: steps the kernels do not run are refused by Supports
// and fail the lowering with ErrUnsupported; the limits are stated
// constants.
func TestLowerRefuses(t *testing.T) {
	m := newBackend(newHostDevice())
	q := engine.Value{Shape: engine.Shape{2, 8}, DType: engine.Float32}
	x := engine.Value{Shape: engine.Shape{5000, 8}, DType: engine.Float32}
	out := []engine.Value{{Shape: engine.Shape{2, 1}, DType: engine.Float32}, {Shape: engine.Shape{2, 1}, DType: engine.Int64}}
	cases := []struct {
		name string
		step engine.Step
		in   []engine.Value
	}{
		{"scan above MaxScanK", engine.Step{Op: engine.OpScanTopK, Attrs: engine.Attrs{K: maxScanK + 1}, In: []int{0, 1}, Out: []int{2, 3}}, []engine.Value{q, x}},
		{"int8 scan with float16 queries", engine.Step{Op: engine.OpScanTopK, Attrs: engine.Attrs{K: 5, Quantize: true}, In: []int{0, 1, 2}, Out: []int{3, 4}},
			[]engine.Value{{Shape: engine.Shape{2, 8}, DType: engine.Float16}, {Shape: engine.Shape{5000, 8}, DType: engine.Int8}, {Shape: engine.Shape{5000}, DType: engine.Float32}}},
		{"custom kernel", engine.Step{Op: engine.OpCustom, In: []int{0}, Out: []int{1}}, []engine.Value{q}},
		{"fused program with too many inputs", engine.Step{Op: engine.OpFusedElementwise, Attrs: engine.Attrs{Program: &engine.Program{NumInputs: maxFusedInputs + 1}}}, make([]engine.Value, maxFusedInputs+1)},
	}
	for _, c := range cases {
		if m.Supports(c.step.Op, &c.step.Attrs, c.in) {
			t.Errorf("%s: Supports says yes", c.name)
		}
		b := &batch{m: m, p: &engine.Plan{Values: append(append([]engine.Value{}, c.in...), out...)}}
		if err := m.lower(b, 0, &c.step); !errors.Is(err, engine.ErrUnsupported) {
			t.Errorf("%s: lowering returned %v, want ErrUnsupported", c.name, err)
		}
	}
	ok := engine.Step{Op: engine.OpScanTopK, Attrs: engine.Attrs{K: maxScanK, Largest: true}, In: []int{0, 1}, Out: []int{2, 3}}
	if !m.Supports(ok.Op, &ok.Attrs, []engine.Value{q, x}) {
		t.Errorf("a scan with k = MaxScanK is refused")
	}
}

// TestLookup: every kernel of the manifest is found by its name.
func TestLookup(t *testing.T) {
	for _, k := range allKernels() {
		if lookupKernel(k.Name) != k {
			t.Errorf("lookupKernel(%s) does not return the registered kernel", k.Name)
		}
	}
}
