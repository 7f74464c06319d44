package metal

import (
	"bytes"
	"fmt"
	"math"
	"regexp"
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
		poisonFirstWrites(&l)
		if err := d.launch(&l); err != nil {
			return err
		}
	}
	return nil
}

// poisonFirstWrites fills the step outputs l is the first of its step to
// write with 0xFF bytes (NaN), as backendtest's poison does for a new
// buffer: an element the step leaves unwritten then fails the suite, even
// in a slot an earlier step of the plan filled. Call it just before l
// runs (after the barrier before it, if any).
func poisonFirstWrites(l *launch) {
	for _, b := range l.firstWrites {
		mem := b.bytes()
		for i := range mem {
			mem[i] = 0xff
		}
	}
}

func (d *harnessDevice) launch(l *launch) error {
	p := l.pipe.(*harnessPipeline)
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
	if err := p.prog.Run(msltest.Launch{Kernel: p.fn, Groups: l.groups, Grid: l.total, Threads: l.threads, Buffers: bufs, ThreadgroupMemory: tg}, d.opt); err != nil {
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

// The checks of checks_test.go, on the harness.

func TestSearchOnHarness(t *testing.T) {
	m, _ := newHarnessBackend(t)
	checkSearch(t, m, 2, 1500, 6, []int{7, kernels.MaxScanK, kernels.MaxScanK + 1})
}

func TestGatherOutOfRangeOnHarness(t *testing.T) {
	m, _ := newHarnessBackend(t)
	checkGatherRange(t, m)
}

func TestCustomKernelOnHarness(t *testing.T) {
	m, _ := newHarnessBackend(t)
	checkCustomKernel(t, m)
}

func TestCompileErrorOnHarness(t *testing.T) {
	m, _ := newHarnessBackend(t)
	checkCompileError(t, m)
}

func TestHammingExampleOnHarness(t *testing.T) {
	m, _ := newHarnessBackend(t)
	checkHamming(t, m)
}
