package metal

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/silica-go/silica/engine"
	"github.com/silica-go/silica/engine/backendtest"
	"github.com/silica-go/silica/hamming"
)

// The checks below run on a backend of either device: the GPU
// (metal_test.go, on a Mac) and the CPU harness (harness_test.go).

func must[T any](t *testing.T) func(T, error) T {
	return func(v T, err error) T {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
}

// checkSearch: a cosine top-k for each k is one fused scan up to
// maxScanK, and above it (Supports refuses the fusion) a matrix
// product and a top-k; both return the CPU backend's results.
func checkSearch(t *testing.T, b *Backend, m, n, d int, ks []int) {
	e := engine.New("metal", b)
	c := engine.New("cpu", newCPU())
	rng := rand.New(rand.NewPCG(5, 6))
	qv, xv := randn(rng, m*d), randn(rng, n*d)
	for _, k := range ks {
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
		if fused != (k <= maxScanK) {
			t.Errorf("cosine top-%d (fused limit %d): fused %t\n%s", k, maxScanK, fused, p)
		}
		_, wv, wi := search(c)
		for i := range wv {
			q, rank := i/k, i%k
			if math.Abs(float64(gv[i]-wv[i])) > searchTol {
				t.Fatalf("k=%d: query %d rank %d: score metal %g, cpu %g", k, q, rank, gv[i], wv[i])
			}
			if gi[i] == wi[i] {
				continue
			}
			// another row is right only as a tie: it scores what the
			// CPU's row at this rank scores, and it is listed once
			r := gi[i]
			if r < 0 || r >= int64(n) || slices.Contains(gi[q*k:i], r) {
				t.Fatalf("k=%d: query %d rank %d: metal row %d (of %d, or listed twice), cpu row %d", k, q, rank, r, n, wi[i])
			}
			if s := cosine64(qv[q*d:(q+1)*d], xv[int(r)*d:(int(r)+1)*d]); math.Abs(s-float64(wv[i])) > searchTol {
				t.Fatalf("k=%d: query %d rank %d: metal row %d scores %g, cpu row %d %g: not a tie", k, q, rank, r, s, wi[i], wv[i])
			}
		}
	}
}

// searchTol bounds the difference of two float32 cosine scores of short
// rows, and of one from its float64 value.
const searchTol = backendtest.TolFloat32

// cosine64 is the cosine of two rows, in float64.
func cosine64(a, b []float32) float64 {
	var ab, aa, bb float64
	for i := range a {
		ab += float64(a[i]) * float64(b[i])
		aa += float64(a[i]) * float64(a[i])
		bb += float64(b[i]) * float64(b[i])
	}
	return ab / math.Sqrt(aa*bb)
}

func randn(r *rand.Rand, n int) []float32 {
	v := make([]float32, n)
	for i := range v {
		v[i] = float32(r.NormFloat64())
	}
	return v
}

// checkGatherRange: an index outside the rows fails with
// ErrIndexOutOfRange (found by the kernel, reported in its status
// buffer), and the next gather is unaffected.
func checkGatherRange(t *testing.T, b *Backend) {
	e := engine.New("metal", b)
	x := must[*engine.Array](t)(e.RandomNormal(1, engine.Float32, 10, 4))
	for _, idx := range [][]int64{{3, 10, 1}, {-1}} {
		i := must[*engine.Array](t)(e.FromInt64(idx, len(idx)))
		g := must[*engine.Array](t)(engine.Gather(x, i))
		if err := g.Eval(); !errors.Is(err, engine.ErrIndexOutOfRange) {
			t.Errorf("gather %v of 10 rows: %v, want ErrIndexOutOfRange", idx, err)
		}
	}
	i := must[*engine.Array](t)(e.FromInt64([]int64{9, 0}, 2))
	g := must[*engine.Array](t)(engine.Gather(x, i))
	if err := g.Eval(); err != nil {
		t.Errorf("gather in range after a failed one: %v", err)
	}
}

// reverseMSL reverses the rows of a float32 matrix, one thread per
// element; the parameters follow engine.KernelParams (rank and 4 dims
// per array).
const reverseMSL = `#include <metal_stdlib>
using namespace metal;
kernel void reverse_rows(device const float *x [[buffer(0)]], device float *y [[buffer(1)]],
                         constant long *p [[buffer(2)]], uint i [[thread_position_in_grid]]) {
    uint rows = (uint)p[3], cols = (uint)p[4];
    if (i >= rows * cols) return;
    uint r = i / cols, c = i % cols;
    y[(rows - 1 - r) * cols + c] = x[i] * (float)p[10];
}
`

func reverseKernel(t *testing.T, name, msl string) *engine.Kernel {
	return must[*engine.Kernel](t)(engine.NewKernel(engine.KernelSpec{
		Name: name,
		MSL:  msl,
		Go: func(a *engine.KernelArgs) error {
			return fmt.Errorf("the Go function must not run: the backend has the MSL")
		},
		Outputs: func(in []engine.Value, _ []int64) ([]engine.Value, error) {
			return []engine.Value{{Shape: in[0].Shape, DType: in[0].DType}}, nil
		},
		Grid: func(in, _ []engine.Value, _ []int64) ([3]int, [3]int) {
			return [3]int{in[0].Shape.Size(), 1, 1}, [3]int{64, 1, 1}
		},
	}))
}

// checkCustomKernel runs a custom MSL kernel through the backend: its own
// library, bindings in, out, then parameters, the exact grid of its rule.
func checkCustomKernel(t *testing.T, b *Backend) {
	e := engine.New("metal", b)
	k := reverseKernel(t, "reverse_rows", reverseMSL)
	const rows, cols = 33, 7
	x := must[*engine.Array](t)(e.RandomNormal(9, engine.Float32, rows, cols))
	out, err := k.Call([]int64{3}, x)
	if err != nil {
		t.Fatal(err)
	}
	p := must[*engine.Plan](t)(e.Explain(out[0]))
	if p.Steps[0].Host {
		t.Fatalf("custom kernel with MSL planned on the host:\n%s", p)
	}
	got := must[[]float32](t)(out[0].Float32())
	in := must[[]float32](t)(x.Float32())
	for r := range rows {
		for c := range cols {
			if got[r*cols+c] != 3*in[(rows-1-r)*cols+c] {
				t.Fatalf("element %d,%d: %g, want %g", r, c, got[r*cols+c], 3*in[(rows-1-r)*cols+c])
			}
		}
	}
}

// checkCompileError: a source that does not compile fails with the
// kernel's name and the compiler's message, on every evaluation.
func checkCompileError(t *testing.T, b *Backend) {
	e := engine.New("metal", b)
	k := reverseKernel(t, "reverse_rows", strings.Replace(reverseMSL, "(float)p[10]", "undeclared_factor", 1))
	x := must[*engine.Array](t)(e.RandomNormal(9, engine.Float32, 4, 3))
	for range 2 {
		out := must[[]*engine.Array](t)(k.Call(nil, x))
		err := out[0].Eval()
		if err == nil {
			t.Fatal("a kernel that does not compile evaluated without error")
		}
		for _, want := range []string{"reverse_rows", "undeclared_factor"} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("error does not mention %q:\n%v", want, err)
			}
		}
	}
}

// checkHamming runs the worked custom-kernel example (package hamming:
// threadgroup atomics in kernel scope, two passes over the codes) through
// the backend and compares it with the example's Go function on the CPU
// backend, ties included.
func checkHamming(t *testing.T, b *Backend) {
	e := engine.New("metal", b)
	c := engine.New("cpu", newCPU())
	rng := rand.New(rand.NewPCG(3, 4))
	const q, n, d, k = 3, 700, 100, 25
	w := hamming.Words(d)
	qc := must[[]int32](t)(hamming.Pack(randn(rng, q*d), q, d))
	xc := must[[]int32](t)(hamming.Pack(randn(rng, n*d), n, d))
	search := func(e *engine.Engine) ([]int64, []int64, *engine.Plan) {
		qa := must[*engine.Array](t)(e.FromInt32(qc, q, w))
		xa := must[*engine.Array](t)(e.FromInt32(xc, n, w))
		dist, idx, err := hamming.Search(qa, xa, k)
		if err != nil {
			t.Fatal(err)
		}
		p := must[*engine.Plan](t)(e.Explain(dist, idx))
		return must[[]int64](t)(dist.Int64()), must[[]int64](t)(idx.Int64()), p
	}
	gd, gi, p := search(e)
	if p.Steps[0].Host {
		t.Fatalf("the example's MSL kernel ran on the host:\n%s", p)
	}
	wd, wi, _ := search(c)
	for i := range wd {
		if gd[i] != wd[i] || gi[i] != wi[i] {
			t.Fatalf("result %d: metal (%d, row %d), cpu (%d, row %d)", i, gd[i], gi[i], wd[i], wi[i])
		}
	}
}
