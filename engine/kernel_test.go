package engine_test

import (
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/silica-go/silica/cpu"
	"github.com/silica-go/silica/engine"
)

// rowSumSq is a custom kernel: out[r] = sum of squares of row r, times
// params[0].
func rowSumSq(t *testing.T) *engine.Kernel {
	k, err := engine.NewKernel(engine.KernelSpec{
		Name: "row_sum_sq",
		Outputs: func(in []engine.Value, params []int64) ([]engine.Value, error) {
			if len(in) != 1 || len(in[0].Shape) != 2 || in[0].DType != engine.Float32 {
				return nil, fmt.Errorf("want one float32 matrix, got %v", in)
			}
			if len(params) != 1 {
				return nil, fmt.Errorf("want one parameter, got %d", len(params))
			}
			return []engine.Value{{Shape: engine.Shape{in[0].Shape[0]}, DType: engine.Float32}}, nil
		},
		Go: func(a *engine.KernelArgs) error {
			x, y := a.In[0].Float32s(), a.Out[0].Float32s()
			d := a.In[0].Shape[1]
			for r := range y {
				s := float32(0)
				for _, v := range x[r*d : (r+1)*d] {
					s += v * v
				}
				y[r] = s * float32(a.Params[0])
			}
			return nil
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// noCustom is the CPU backend refusing custom kernels, as a GPU backend
// without the kernel's source does.
type noCustom struct{ *cpu.Backend }

func (n noCustom) Supports(op engine.Op, a *engine.Attrs, in []engine.Value) bool {
	return op != engine.OpCustom && n.Backend.Supports(op, a, in)
}

func TestCustomKernel(t *testing.T) {
	ok := mk(t)
	k := rowSumSq(t)
	for _, e := range []*engine.Engine{engine.New("cpu", newCPU()), engine.New("refuses-custom", noCustom{newCPU()})} {
		x := ok(e.RandomNormal(5, engine.Float32, 37, 19))
		s := ok(engine.Scale(x, 2))
		outs, err := k.Call([]int64{3}, s)
		if err != nil {
			t.Fatal(err)
		}
		y := ok(engine.Scale(outs[0], 0.5))
		p, err := e.Explain(y)
		if err != nil {
			t.Fatal(err)
		}
		host := strings.Contains(p.String(), "on the host")
		if host != (e.Name() == "refuses-custom") {
			t.Fatalf("%s: host fall back shown %t:\n%s", e.Name(), host, p)
		}
		before := e.Stats().Submissions
		got, err := y.Float32()
		if err != nil {
			t.Fatal(err)
		}
		subs := e.Stats().Submissions - before
		if want := map[bool]int64{false: 1, true: 2}[host]; subs != want {
			t.Errorf("%s: %d submissions, want %d", e.Name(), subs, want)
		}
		xv, _ := x.Float32()
		for r := range 37 {
			want := 0.0
			for _, v := range xv[r*19 : (r+1)*19] {
				want += 4 * float64(v) * float64(v)
			}
			want *= 1.5
			if math.Abs(float64(got[r])-want) > 1e-5*want {
				t.Fatalf("%s: row %d: %g, want %g", e.Name(), r, got[r], want)
			}
		}
	}
	e := engine.New("cpu", newCPU())
	if _, err := k.Call(nil, ok(e.RandomNormal(1, engine.Float32, 3, 3))); err == nil || !strings.Contains(err.Error(), "parameter") {
		t.Errorf("bad params: %v", err)
	}
	if _, err := engine.NewKernel(engine.KernelSpec{Name: "bad name"}); err == nil {
		t.Error("a kernel named \"bad name\" was accepted")
	}
	if _, err := engine.NewKernel(engine.KernelSpec{Name: "nogo", Outputs: k.Spec().Outputs}); err == nil {
		t.Error("a kernel without a Go function was accepted")
	}
}
