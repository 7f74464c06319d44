package metal_test

// These tests run the backend on the Mac's GPU. Elsewhere (no Metal
// device, or not darwin/arm64 with cgo) they skip, saying why; under
// SILICA_CI=1 they skip only because "metal" is in SILICA_CI_ALLOW.

import (
	"errors"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/silica-go/silica/cpu"
	"github.com/silica-go/silica/engine"
	"github.com/silica-go/silica/engine/backendtest"
	"github.com/silica-go/silica/internal/testenv"
	"github.com/silica-go/silica/kernels"
	"github.com/silica-go/silica/metal"
)

// open opens the backend on this machine's GPU, or skips.
func open(t *testing.T) *metal.Backend {
	t.Helper()
	b, err := metal.New()
	testenv.Need(t, "metal", err)
	t.Cleanup(func() { b.Close() })
	return b
}

func must[T any](t *testing.T) func(T, error) T {
	return func(v T, err error) T {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
}

// TestBackend runs the shared suite: every engine op and fusion on the
// GPU against float64 references, with poisoned outputs.
func TestBackend(t *testing.T) {
	backendtest.Run(t, "metal", open(t))
}

func TestDevice(t *testing.T) {
	d := open(t).Device()
	if d.Backend != "metal" || d.Name == "" || d.Memory <= 0 || !d.Unified {
		t.Errorf("device %+v: want backend metal, a name, a positive recommended working set, unified memory", d)
	}
	t.Logf("%s: %.1f GiB working set; %s", d.Name, float64(d.Memory)/(1<<30), d.Version)
}

// TestSearchAgainstCPU checks that a cosine top-k becomes one fused scan
// on Metal up to the kernels' limit on k, and a matrix product and a
// top-k above it, and that both return the CPU backend's results.
func TestSearchAgainstCPU(t *testing.T) {
	e := engine.New("metal", open(t))
	c := engine.New("cpu", cpu.New())
	const m, n, d = 3, 10007, 384
	rng := rand.New(rand.NewPCG(5, 6))
	qv, xv := randn(rng, m*d), randn(rng, n*d)
	for _, k := range []int{50, kernels.MaxScanK, kernels.MaxScanK + 1} {
		search := func(e *engine.Engine) (*engine.Plan, []float32, []int64) {
			q := must[*engine.Array](t)(e.FromFloat32(qv, m, d))
			x := must[*engine.Array](t)(e.FromFloat32(xv, n, d))
			s := must[*engine.Array](t)(engine.Cosine(q, x))
			vals, idx, err := engine.TopK(s, k, true)
			if err != nil {
				t.Fatal(err)
			}
			p := must[*engine.Plan](t)(e.Explain(vals, idx))
			return p, must[[]float32](t)(vals.Float32()), must[[]int64](t)(idx.Int64())
		}
		p, gv, gi := search(e)
		fused := len(p.Steps) == 1 && p.Steps[0].Op == engine.OpScanTopK
		if fused != (k <= kernels.MaxScanK) {
			t.Errorf("cosine top-%d on metal (fused limit %d): fused %t\n%s", k, kernels.MaxScanK, fused, p)
		}
		_, wv, wi := search(c)
		for i := range wv {
			if math.Abs(float64(gv[i]-wv[i])) > 1e-5 {
				t.Fatalf("k=%d: score %d: metal %g, cpu %g", k, i, gv[i], wv[i])
			}
			if gi[i] != wi[i] && gv[i] != wv[i] {
				t.Fatalf("k=%d: rank %d: metal row %d, cpu row %d", k, i, gi[i], wi[i])
			}
		}
	}
}

// TestCompileErrorNamesKernel checks that a kernel that does not compile
// fails with its name and the compiler's message.
func TestCompileErrorNamesKernel(t *testing.T) {
	e := engine.New("metal", open(t))
	k := must[*engine.Kernel](t)(engine.NewKernel(engine.KernelSpec{
		Name: "broken_on_purpose",
		MSL:  "#include <metal_stdlib>\nkernel void broken_on_purpose(device float *x [[buffer(0)]]) { x[0] = undeclared_name; }\n",
		Go:   func(a *engine.KernelArgs) error { return nil },
		Outputs: func(in []engine.Value, _ []int64) ([]engine.Value, error) {
			return []engine.Value{{Shape: in[0].Shape, DType: in[0].DType}}, nil
		},
		Grid: func(_, _ []engine.Value, _ []int64) ([3]int, [3]int) { return [3]int{1, 1, 1}, [3]int{1, 1, 1} },
	}))
	x := must[*engine.Array](t)(e.FromFloat32([]float32{1}, 1))
	out, err := k.Call(nil, x)
	if err != nil {
		t.Fatal(err)
	}
	err = out[0].Eval()
	if err == nil {
		t.Fatal("a kernel that does not compile evaluated without error")
	}
	for _, want := range []string{"broken_on_purpose", "undeclared_name"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %q", err, want)
		}
	}
}

func TestGatherOutOfRange(t *testing.T) {
	e := engine.New("metal", open(t))
	x := must[*engine.Array](t)(e.RandomNormal(1, engine.Float32, 10, 4))
	idx := must[*engine.Array](t)(e.FromInt64([]int64{3, 10, 1}, 3))
	g := must[*engine.Array](t)(engine.Gather(x, idx))
	if err := g.Eval(); !errors.Is(err, engine.ErrIndexOutOfRange) {
		t.Errorf("gather of row 10 of 10: %v, want ErrIndexOutOfRange", err)
	}
}

func TestMemoryInUse(t *testing.T) {
	b := open(t)
	e := engine.New("metal", b)
	before := b.MemoryInUse()
	x := must[*engine.Array](t)(e.Zeros(engine.Float32, 1<<20))
	if got := b.MemoryInUse() - before; got < 4<<20 {
		t.Errorf("a 4 MiB array raised MemoryInUse by %d bytes", got)
	}
	x.Free()
	if _, err := b.Alloc(0); err == nil {
		t.Error("Alloc(0) gave no error")
	}
}

func randn(r *rand.Rand, n int) []float32 {
	v := make([]float32, n)
	for i := range v {
		v[i] = float32(r.NormFloat64())
	}
	return v
}
