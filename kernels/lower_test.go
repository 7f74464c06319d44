package kernels_test

import (
	"errors"
	"testing"

	"github.com/silica-go/silica/engine"
	"github.com/silica-go/silica/kernels"
)

// TestLowerRefuses: steps the kernels do not run are refused by Supports
// and fail Lower with ErrUnsupported; the limits are stated constants.
func TestLowerRefuses(t *testing.T) {
	q := engine.Value{Shape: engine.Shape{2, 8}, DType: engine.Float32}
	x := engine.Value{Shape: engine.Shape{5000, 8}, DType: engine.Float32}
	out := []engine.Value{{Shape: engine.Shape{2, 1}, DType: engine.Float32}, {Shape: engine.Shape{2, 1}, DType: engine.Int64}}
	cases := []struct {
		name string
		step engine.Step
		in   []engine.Value
	}{
		{"scan above MaxScanK", engine.Step{Op: engine.OpScanTopK, Attrs: engine.Attrs{K: kernels.MaxScanK + 1}, In: []int{0, 1}, Out: []int{2, 3}}, []engine.Value{q, x}},
		{"int8 scan with float16 queries", engine.Step{Op: engine.OpScanTopK, Attrs: engine.Attrs{K: 5, Quantize: true}, In: []int{0, 1, 2}, Out: []int{3, 4}},
			[]engine.Value{{Shape: engine.Shape{2, 8}, DType: engine.Float16}, {Shape: engine.Shape{5000, 8}, DType: engine.Int8}, {Shape: engine.Shape{5000}, DType: engine.Float32}}},
		{"custom kernel", engine.Step{Op: engine.OpCustom, In: []int{0}, Out: []int{1}}, []engine.Value{q}},
		{"fused program with too many inputs", engine.Step{Op: engine.OpFusedElementwise, Attrs: engine.Attrs{Program: &engine.Program{NumInputs: kernels.MaxFusedInputs + 1}}}, make([]engine.Value, kernels.MaxFusedInputs+1)},
	}
	for _, c := range cases {
		if kernels.Supports(c.step.Op, &c.step.Attrs, c.in) {
			t.Errorf("%s: Supports says yes", c.name)
		}
		if _, err := kernels.Lower(&c.step, c.in, out); !errors.Is(err, engine.ErrUnsupported) {
			t.Errorf("%s: Lower returned %v, want ErrUnsupported", c.name, err)
		}
	}
	ok := engine.Step{Op: engine.OpScanTopK, Attrs: engine.Attrs{K: kernels.MaxScanK, Largest: true}, In: []int{0, 1}, Out: []int{2, 3}}
	if !kernels.Supports(ok.Op, &ok.Attrs, []engine.Value{q, x}) {
		t.Errorf("a scan with k = MaxScanK is refused")
	}
}

// TestName: the one naming rule.
func TestName(t *testing.T) {
	for _, c := range []struct {
		got, want string
	}{
		{kernels.Name("cosine_topk", "scan", engine.Float16, "128"), "cosine_topk_scan_float16_128"},
		{kernels.Name("normalize", "rows", engine.BFloat16, ""), "normalize_rows_bfloat16"},
	} {
		if c.got != c.want {
			t.Errorf("got %s, want %s", c.got, c.want)
		}
	}
	for _, k := range kernels.All() {
		if kernels.Lookup(k.Name) != k {
			t.Errorf("Lookup(%s) does not return the registered kernel", k.Name)
		}
	}
}
