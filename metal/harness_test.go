package metal

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"regexp"
	"strings"
	"testing"

	"github.com/silica-go/silica/cpu"
	"github.com/silica-go/silica/engine"
	"github.com/silica-go/silica/engine/backendtest"
	"github.com/silica-go/silica/internal/testenv"
	"github.com/silica-go/silica/kernels"
	"github.com/silica-go/silica/kernels/msltest"
)

// harnessDevice is a device whose kernels run in the CPU harness of
// package kernels/msltest: the MSL sources the backend would hand to
// Metal are compiled by clang against the harness's metal_stdlib subset
// and each launch runs with the threads of a threadgroup concurrent and
// real barriers. Memory is host memory (hostDevice). So the whole backend
// above the native calls (lowering, bindings, scratch and status buffers,
// pipelines and their cache, pooling, error paths) runs for real here.
//
// It also checks what Metal would not report: a kernel that writes a
// buffer its binding does not declare written (the barrier placement
// relies on those declarations) fails the run.
type harnessDevice struct {
	*hostDevice
	h   *msltest.Harness
	opt msltest.Options

	launches, barriers int // counted over all runs
	last               []launch
}

type harnessLibrary struct{ prog *msltest.Program }

type harnessPipeline struct {
	prog *msltest.Program
	fn   string
}

// maxThreads is Metal's limit on Apple GPUs, which the harness enforces.
func (*harnessPipeline) maxThreads() int { return 1024 }

func newHarnessBackend(t testing.TB) (*Backend, *harnessDevice) {
	t.Helper()
	h, err := msltest.Default()
	testenv.Need(t, "clang", err)
	d := &harnessDevice{hostDevice: newHostDevice(), h: h, opt: msltest.Options{Order: msltest.Shuffled, Seed: 7}}
	m := newBackend(d)
	t.Cleanup(func() { m.Close() })
	return m, d
}

var unsafeName = regexp.MustCompile(`[^A-Za-z0-9_]+`)

func (d *harnessDevice) library(name, source string) (library, error) {
	p, err := d.h.Compile(unsafeName.ReplaceAllString(name, "_")+".metal", source, nil)
	if err != nil {
		return nil, fmt.Errorf("compiling %s: %w", name, err)
	}
	return &harnessLibrary{p}, nil
}

func (d *harnessDevice) pipeline(l library, fn string) (pipeline, error) {
	lib := l.(*harnessLibrary)
	if _, ok := lib.prog.Kernels[fn]; !ok {
		return nil, fmt.Errorf("kernel %s: no such function in %s (it has %v)", fn, lib.prog.Name, lib.prog.KernelNames())
	}
	return &harnessPipeline{lib.prog, fn}, nil
}

func (d *harnessDevice) run(ls []launch) error {
	d.last = ls
	for _, l := range ls {
		d.launches++
		if l.barrier {
			d.barriers++
		}
		if err := d.launch(&l); err != nil {
			return err
		}
	}
	return nil
}

func (d *harnessDevice) launch(l *launch) error {
	p := l.pipe.(*harnessPipeline)
	groups := l.groups
	if l.total != [3]int{} {
		// The harness has no non-uniform threadgroups: whole groups, as
		// CUDA launches them.
		for i := range groups {
			groups[i] = (l.total[i] + l.threads[i] - 1) / l.threads[i]
		}
	}
	var bufs []msltest.Buffer
	type saved struct {
		index int
		data  []byte
		was   []byte
	}
	var readOnly []saved
	for _, b := range l.binds {
		data := bytes.Clone(b.bytes)
		if b.buf != nil {
			data = b.buf.bytes()[b.off:]
			if !b.write {
				readOnly = append(readOnly, saved{b.index, data, bytes.Clone(data)})
			}
		}
		bufs = append(bufs, msltest.Buffer{Index: b.index, Data: data})
	}
	tg := map[int]int{}
	for i, n := range l.tgmem {
		if n > 0 {
			tg[i] = n
		}
	}
	if err := p.prog.Run(msltest.Launch{Kernel: p.fn, Groups: groups, Threads: l.threads, Buffers: bufs, ThreadgroupMemory: tg}, d.opt); err != nil {
		return err
	}
	for _, s := range readOnly {
		if !bytes.Equal(s.data, s.was) {
			return fmt.Errorf("kernel %s wrote [[buffer(%d)]], which its binding declares read-only", l.name, s.index)
		}
	}
	return nil
}

// TestSuiteOnHarness runs the shared backend suite on the Metal backend
// with the CPU harness in place of the GPU: every engine op through the
// backend's lowering and binding code and the real MSL kernels. (About
// two and a half minutes on two cores, most of it simulated SIMD-group
// matrices in the matrix products and scans.)
func TestSuiteOnHarness(t *testing.T) {
	m, _ := newHarnessBackend(t)
	backendtest.Run(t, "metal (CPU harness)", m)
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

// TestPlanIsOneBatchWithBarriers evaluates a plan of dependent steps and
// checks the launches went to the device in one run, with a barrier
// before each launch that reads what an earlier one wrote, and the
// results equal the CPU backend's.
func TestPlanIsOneBatchWithBarriers(t *testing.T) {
	m, d := newHarnessBackend(t)
	e := engine.New("metal", m)
	c := engine.New("cpu", cpu.New())
	eval := func(e *engine.Engine) ([]float32, *engine.Plan) {
		x := must[*engine.Array](t)(e.RandomNormal(3, engine.Float32, 37, 19))
		y := must[*engine.Array](t)(e.RandomNormal(4, engine.Float32, 19))
		n := must[*engine.Array](t)(engine.Normalize(x))
		z := must[*engine.Array](t)(engine.Add(n, y))
		z = must[*engine.Array](t)(engine.Exp(z))
		s := must[*engine.Array](t)(engine.Sum(z, 1))
		p := must[*engine.Plan](t)(e.Explain(s))
		return must[[]float32](t)(s.Float32()), p
	}
	got, plan := eval(e)
	want, _ := eval(c)
	for i := range want {
		if math.Abs(float64(got[i]-want[i])) > 1e-5*math.Abs(float64(want[i])) {
			t.Fatalf("row %d: %g, cpu %g", i, got[i], want[i])
		}
	}
	if len(d.last) < len(plan.Steps) || len(plan.Steps) < 3 {
		t.Fatalf("%d launches in the last run for a plan of %d steps:\n%s", len(d.last), len(plan.Steps), plan)
	}
	if d.last[0].barrier {
		t.Error("barrier before the first launch")
	}
	for i, l := range d.last[1:] {
		if !l.barrier {
			t.Errorf("launch %d (%s) reads the previous launch's output without a barrier", i+1, l.name)
		}
	}
}

func TestGatherIndexOutOfRange(t *testing.T) {
	m, _ := newHarnessBackend(t)
	e := engine.New("metal", m)
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

// TestCustomKernel runs a custom MSL kernel through the backend: its own
// library, bindings in, out, then parameters.
func TestCustomKernel(t *testing.T) {
	m, _ := newHarnessBackend(t)
	e := engine.New("metal", m)
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

// TestCompileErrorNamesKernelOnHarness: a source that does not compile
// fails with the kernel's name and the compiler's message, every time.
func TestCompileErrorNamesKernelOnHarness(t *testing.T) {
	m, _ := newHarnessBackend(t)
	e := engine.New("metal", m)
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

// TestScanLimit: up to kernels.MaxScanK a search is one fused scan; above
// it Supports refuses the fusion and the engine plans a matrix product and
// a top-k, which the backend runs; both agree with the CPU backend.
func TestScanLimit(t *testing.T) {
	m, _ := newHarnessBackend(t)
	e := engine.New("metal", m)
	c := engine.New("cpu", cpu.New())
	const q, n, d = 2, 1500, 6
	for _, k := range []int{kernels.MaxScanK, kernels.MaxScanK + 1} {
		search := func(e *engine.Engine) (*engine.Plan, []float32) {
			qa := must[*engine.Array](t)(e.RandomNormal(11, engine.Float32, q, d))
			xa := must[*engine.Array](t)(e.RandomNormal(12, engine.Float32, n, d))
			s := must[*engine.Array](t)(engine.Cosine(qa, xa))
			vals, idx, err := engine.TopK(s, k, true)
			if err != nil {
				t.Fatal(err)
			}
			p := must[*engine.Plan](t)(e.Explain(vals, idx))
			must[[]int64](t)(idx.Int64())
			return p, must[[]float32](t)(vals.Float32())
		}
		p, got := search(e)
		_, want := search(c)
		fused := len(p.Steps) == 1 && p.Steps[0].Op == engine.OpScanTopK
		if fused != (k <= kernels.MaxScanK) {
			t.Errorf("k=%d (limit %d): fused %t:\n%s", k, kernels.MaxScanK, fused, p)
		}
		for i := range want {
			if math.Abs(float64(got[i]-want[i])) > 1e-5 {
				t.Fatalf("k=%d: score %d is %g, cpu %g", k, i, got[i], want[i])
			}
		}
	}
}
