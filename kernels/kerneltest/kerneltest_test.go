package kerneltest

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/silica-go/silica/engine"
	"github.com/silica-go/silica/internal/testenv"
	"github.com/silica-go/silica/kernels/msltest"
)

// scaleMSL multiplies every element by the parameter; %s is the bound
// check, so that a broken variant can skip the last element.
const scaleMSL = `#include <metal_stdlib>
using namespace metal;

kernel void kt_scale(device const float *x [[buffer(0)]],
                     device float *y [[buffer(1)]],
                     constant long *p [[buffer(2)]],
                     uint i [[thread_position_in_grid]]) {
    uint n = (uint)(p[3] * p[4]);
    if (%s) {
        y[i] = x[i] * (float)p[10];
    }
}
`

func scaleKernel(t *testing.T, check string) *engine.Kernel {
	k, err := engine.NewKernel(engine.KernelSpec{
		Name: "kt_scale",
		MSL:  fmt.Sprintf(scaleMSL, check),
		Outputs: func(in []engine.Value, _ []int64) ([]engine.Value, error) {
			return []engine.Value{{Shape: in[0].Shape, DType: engine.Float32}}, nil
		},
		Go: func(a *engine.KernelArgs) error {
			x, y := a.In[0].Float32s(), a.Out[0].Float32s()
			for i := range y {
				y[i] = x[i] * float32(a.Params[0])
			}
			return nil
		},
		Grid: func(in, _ []engine.Value, _ []int64) ([3]int, [3]int) {
			return [3]int{in[0].Shape.Size(), 1, 1}, [3]int{64, 1, 1}
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func matrix(r *rand.Rand, n int) Case {
	v := make([]float32, n*3)
	for i := range v {
		v[i] = float32(r.NormFloat64())
	}
	raw, _ := engine.EncodeFloat32(engine.Float32, v)
	return Case{In: []engine.HostArray{{Value: engine.Value{Shape: engine.Shape{n, 3}, DType: engine.Float32}, Data: raw}}, Params: []int64{-3}}
}

func TestCheckPassesAGoodKernel(t *testing.T) {
	Check(t, scaleKernel(t, "i < n"), matrix, Options{})
}

func TestBrokenKernelIsCaught(t *testing.T) {
	h, err := msltest.Default()
	testenv.Need(t, "clang", err)
	k := scaleKernel(t, "i + 1 < n") // forgets the last element
	c := matrix(rand.New(rand.NewPCG(1, 2)), 33)
	want, err := Reference(k, c)
	if err != nil {
		t.Fatal(err)
	}
	err = MSL(h, k, c, want, 1, Options{})
	if err == nil || !strings.Contains(err.Error(), "unwritten") {
		t.Fatalf("a kernel that skips the last element passed: %v", err)
	}
}

func TestCompileErrorNamesKernelAndLine(t *testing.T) {
	h, err := msltest.Default()
	testenv.Need(t, "clang", err)
	k := scaleKernel(t, "i < undefined_name")
	c := matrix(rand.New(rand.NewPCG(1, 2)), 2)
	want, _ := Reference(k, c)
	err = MSL(h, k, c, want, 1, Options{})
	if err == nil || !strings.Contains(err.Error(), "kt_scale") || !strings.Contains(err.Error(), ":9:") || !strings.Contains(err.Error(), "undefined_name") {
		t.Fatalf("compile error without the kernel's name and line 9: %v", err)
	}
}
