package metal

import (
	"bytes"
	"fmt"
	"math"
	"math/rand/v2"
	"regexp"
	"strings"
	"sync"
	"testing"
	"unsafe"

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
// real barriers. Launches are as concurrent as Metal's concurrent encoder
// lets them be: those with no barrier between them overlap (run says
// how). Memory is host memory (hostDevice). So the whole backend
// above the native calls (lowering, bindings, scratch and status buffers,
// pipelines and their cache, pooling, error paths) runs for real here.
//
// It also checks what Metal would not report: a kernel that writes a
// buffer its binding does not declare written (the barrier placement
// relies on those declarations) fails the run, and so do two launches
// with no barrier between them where one writes memory the other binds.
type harnessDevice struct {
	*hostDevice
	h   *msltest.Harness
	opt msltest.Options
	// poison is the byte each step's outputs are filled with before the
	// step writes them (backendtest.PoisonWith); 0 means
	// backendtest.PoisonByte.
	poison byte
	// sources replaces a family source ("matmul.metal") or the header
	// ("silica.h") by other text in the kernel families' libraries: the
	// deliberately broken variants of broken_test.go.
	sources map[string]string

	launches, barriers int    // counted over all runs
	merges             uint64 // intervals run, to seed each one's write order
	last               []launch
}

type harnessLibrary struct{ prog *msltest.Program }

type harnessPipeline struct {
	prog *msltest.Program
	fn   string
}

// maxThreads is Metal's limit on Apple GPUs, which the harness enforces.
func (*harnessPipeline) maxThreads() int { return 1024 }

// newHarnessBackend makes a backend over a harness device that runs the
// threads of a threadgroup in a shuffled order (seed 7).
func newHarnessBackend(t testing.TB) (*Backend, *harnessDevice) {
	t.Helper()
	return newHarnessBackendWith(t, msltest.Options{Order: msltest.Shuffled, Seed: 7})
}

// newHarnessBackendWith makes a backend over a harness device that runs
// threads as opt says; set the device's fields before the first run.
func newHarnessBackendWith(t testing.TB, opt msltest.Options) (*Backend, *harnessDevice) {
	t.Helper()
	h, err := msltest.Default()
	testenv.Need(t, "clang", err)
	d := &harnessDevice{hostDevice: newHostDevice(), h: h, opt: opt}
	m := newBackend(d)
	t.Cleanup(func() { m.Close() })
	return m, d
}

var unsafeName = regexp.MustCompile(`[^A-Za-z0-9_]+`)

func (d *harnessDevice) library(name, source string) (library, error) {
	if family, ok := strings.CutPrefix(name, familyKey); ok && d.sources != nil {
		return d.replacedFamily(family)
	}
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

// run executes the launches as a GPU's concurrent compute encoder may.
// Launches with no barrier between them (an interval) may overlap on the
// GPU in any interleaving; the device runs them all from the memory as it
// was at the interval's barrier, concurrently and each on its own copy, so
// that no launch sees another's writes, then applies each launch's writes
// in a seeded random order. A barrier waits for every launch before it. A
// launch that reads what another of its interval writes therefore reads
// stale memory, as a GPU may let it; and since other interleavings give
// other results, the run also fails when a launch writes bytes that
// another launch of its interval binds (read after write, write after
// read, write after write: a missing barrier).
func (d *harnessDevice) run(ls []launch) error {
	d.last = ls
	for start := 0; start < len(ls); {
		end := start + 1
		for end < len(ls) && !ls[end].barrier {
			end++
		}
		d.launches += end - start
		if ls[start].barrier {
			d.barriers++
		}
		if err := d.interval(ls[start:end], start); err != nil {
			return err
		}
		start = end
	}
	return nil
}

// span is the part of a buffer one binding sees (from off to its end), a
// launch's private copy of it, and the bytes the launch changed there.
type span struct {
	buf     devBuffer
	off     int
	copy    []byte
	write   bool
	index   int
	changed [][2]int // runs [from, to) of buffer offsets, ascending
}

// interval runs launches with no barrier between them; first is the
// position of ls[0] in the command buffer, for messages.
func (d *harnessDevice) interval(ls []launch, first int) error {
	spans := make([][]span, len(ls))
	errs := make([]error, len(ls))
	var wg sync.WaitGroup
	for i := range ls {
		// The poison lands before this launch's copies are taken; no other
		// launch of the interval binds a step's fresh output.
		d.poisonFirstWrites(&ls[i])
		for _, b := range ls[i].binds {
			if b.buf != nil {
				spans[i] = append(spans[i], span{buf: b.buf, off: b.off, copy: bytes.Clone(b.buf.bytes()[b.off:]), write: b.write, index: b.index})
			}
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = d.launch(&ls[i], spans[i])
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	for i := range ls {
		for j := range spans[i] {
			s := &spans[i][j]
			was := s.buf.bytes()[s.off:]
			for k := 0; k < len(was); k++ {
				if s.copy[k] != was[k] {
					from := k
					for k < len(was) && s.copy[k] != was[k] {
						k++
					}
					s.changed = append(s.changed, [2]int{s.off + from, s.off + k})
				}
			}
			if len(s.changed) > 0 && !s.write {
				return fmt.Errorf("kernel %s wrote [[buffer(%d)]], which its binding declares read-only", ls[i].name, s.index)
			}
		}
	}
	if err := races(ls, spans, first); err != nil {
		return err
	}
	d.merges++
	order := rand.New(rand.NewPCG(d.opt.Seed, d.merges)).Perm(len(ls))
	for _, i := range order {
		for _, s := range spans[i] {
			mem := s.buf.bytes()
			for _, c := range s.changed {
				copy(mem[c[0]:c[1]], s.copy[c[0]-s.off:])
			}
		}
	}
	return nil
}

// poisonFirstWrites fills the step outputs l is the first of its step to
// write with the device's poison (backendtest.PoisonWith; 0xFF, a NaN,
// by default), as backendtest's wrapper does for a new buffer: an element the step leaves unwritten then fails the suite, even
// in a slot an earlier step of the plan filled. Call it just before l
// runs (after the barrier before it, if any).
func (d *harnessDevice) poisonFirstWrites(l *launch) {
	v := d.poison
	if v == 0 {
		v = backendtest.PoisonByte
	}
	for _, b := range l.firstWrites {
		backendtest.PoisonWith(b.bytes(), v)
	}
}

// races reports a launch of an interval that wrote bytes another launch
// of it binds: on a GPU the other may read them before or after the
// write, or write them too, so the result depends on the interleaving.
func races(ls []launch, spans [][]span, first int) error {
	for i := range ls {
		for _, w := range spans[i] {
			if len(w.changed) == 0 {
				continue
			}
			for j := range ls {
				if j == i {
					continue
				}
				for _, r := range spans[j] {
					if r.buf != w.buf || w.changed[len(w.changed)-1][1] <= r.off {
						continue
					}
					what := "reads"
					if r.write {
						what = "writes"
					}
					return fmt.Errorf("launches %d (%s) and %d (%s) have no barrier between them, and %s writes memory that %s %s ([[buffer(%d)]]): a missing barrier",
						first+i, ls[i].name, first+j, ls[j].name, ls[i].name, ls[j].name, what, r.index)
				}
			}
		}
	}
	return nil
}

// launch runs one launch on the harness, its buffers bound to spans (the
// launch's private copies, updated in place).
func (d *harnessDevice) launch(l *launch, spans []span) error {
	p := l.pipe.(*harnessPipeline)
	launched.Store(l.name, true)
	var bufs []msltest.Buffer
	next := 0
	for _, b := range l.binds {
		data := bytes.Clone(b.bytes)
		if b.buf != nil {
			data = spans[next].copy
			next++
		}
		bufs = append(bufs, msltest.Buffer{Index: b.index, Data: data})
	}
	tg := map[int]int{}
	for i, n := range l.tgmem {
		if n > 0 {
			tg[i] = n
		}
	}
	return p.prog.Run(msltest.Launch{Kernel: p.fn, Groups: l.groups, Grid: l.total, Threads: l.threads, Buffers: bufs, ThreadgroupMemory: tg}, d.opt)
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
	c := engine.New("cpu", newCPU())
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
		if math.Abs(float64(got[i]-want[i])) > backendtest.TolFloat32*math.Abs(float64(want[i])) {
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
	checkSearch(t, m, 2, 1500, 6, []int{7, maxScanK, maxScanK + 1})
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

// doubleMSL writes y = 2x, one thread per element.
const doubleMSL = `#include <metal_stdlib>
using namespace metal;
kernel void double_rows(device const float *x [[buffer(0)]], device float *y [[buffer(1)]],
                        uint i [[thread_position_in_grid]]) {
    y[i] = 2 * x[i];
}
`

// TestHarnessOverlapsLaunches: on the test device, as on a GPU, launches
// with no barrier between them overlap. Independent ones give their
// results; one that reads, or writes, memory another of its interval
// writes fails the run naming both; a barrier orders them.
func TestHarnessOverlapsLaunches(t *testing.T) {
	_, d := newHarnessBackend(t)
	lib := must[library](t)(d.library("double", doubleMSL))
	pipe := must[pipeline](t)(d.pipeline(lib, "double_rows"))
	const n = 77
	x := must[devBuffer](t)(d.newBuffer(4 * n))
	y := must[devBuffer](t)(d.newBuffer(4 * n))
	z := must[devBuffer](t)(d.newBuffer(4 * n))
	double := func(from, to devBuffer, barrier bool) launch {
		return launch{name: "double_rows", pipe: pipe, binds: []bind{{index: 0, buf: from}, {index: 1, buf: to, write: true}},
			total: [3]int{n, 1, 1}, threads: [3]int{32, 1, 1}, barrier: barrier}
	}
	cases := []struct {
		why      string
		ls       []launch
		y, z     float32 // each element of y and z over x's, afterwards
		conflict bool
	}{
		{"x→y, barrier, y→z", []launch{double(x, y, false), double(y, z, true)}, 2, 4, false},
		{"x→y, x→z: independent", []launch{double(x, y, false), double(x, z, false)}, 2, 2, false},
		{"x→y, y→z: read after write without a barrier", []launch{double(x, y, false), double(y, z, false)}, 0, 0, true},
		{"y→z, x→y: write after read without a barrier", []launch{double(y, z, false), double(x, y, false)}, 0, 0, true},
		{"x→z, y→z: write after write without a barrier", []launch{double(x, z, false), double(y, z, false)}, 0, 0, true},
	}
	for _, c := range cases {
		xs := unsafe.Slice((*float32)(unsafe.Pointer(&x.bytes()[0])), n)
		for i := range xs {
			xs[i] = float32(i + 1)
		}
		clear(y.bytes())
		clear(z.bytes())
		err := d.run(c.ls)
		if c.conflict {
			if err == nil || !strings.Contains(err.Error(), "no barrier between them") {
				t.Errorf("%s: %v, want the missing barrier reported", c.why, err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", c.why, err)
			continue
		}
		for _, o := range []struct {
			name string
			b    devBuffer
			f    float32
		}{{"y", y, c.y}, {"z", z, c.z}} {
			got := unsafe.Slice((*float32)(unsafe.Pointer(&o.b.bytes()[0])), n)
			for i := range got {
				if got[i] != o.f*xs[i] {
					t.Errorf("%s: %s[%d] = %g, want %g", c.why, o.name, i, got[i], o.f*xs[i])
					break
				}
			}
		}
	}
}

// launched records the kernels the harness ran (TestMain checks that the
// tests ran every kernel of the manifest).
var launched sync.Map

// replacedFamily compiles a kernel family with d.sources in place of its
// source or of the header.
func (d *harnessDevice) replacedFamily(family string) (library, error) {
	src, err := kernels.FamilySource(family)
	if err != nil {
		return nil, err
	}
	hdr := kernels.Header()
	if s, ok := d.sources[family+".metal"]; ok {
		src = s
	}
	if s, ok := d.sources[kernels.HeaderName]; ok {
		hdr = s
	}
	p, err := d.h.Compile(family+".metal", src, map[string]string{kernels.HeaderName: hdr})
	if err != nil {
		return nil, fmt.Errorf("compiling %s%s: %w", familyKey, family, err)
	}
	return &harnessLibrary{p}, nil
}
