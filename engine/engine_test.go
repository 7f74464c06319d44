package engine_test

import (
	"errors"
	"math"
	"strings"
	"sync"
	"testing"

	"github.com/silica-go/silica/cpu"
	"github.com/silica-go/silica/engine"
)

func open(t *testing.T) *engine.Engine {
	t.Helper()
	e, err := engine.Open("cpu")
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// mk returns a function that unwraps an op's result, failing t on error.
func mk(t *testing.T) func(*engine.Array, error) *engine.Array {
	return func(a *engine.Array, err error) *engine.Array {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return a
	}
}

func TestBuildErrorsNameShapes(t *testing.T) {
	ok := mk(t)
	e := open(t)
	a := ok(e.RandomNormal(1, engine.Float32, 3, 4))
	b := ok(e.RandomNormal(2, engine.Float32, 5, 6))
	h := ok(e.RandomNormal(3, engine.Float16, 3, 4))
	idx := ok(e.FromInt64([]int64{0, 1}, 2))
	vec := ok(e.RandomNormal(4, engine.Float32, 4))
	ints := ok(e.FromInt32([]int32{1, 2, 3, 4}, 2, 2))
	cases := []struct {
		name string
		err  error
		want []string
	}{
		{"matmul", second(engine.MatMul(a, b, false, false)), []string{"[3 4]", "[5 6]", "k=4", "k=5"}},
		{"broadcast", second(engine.Add(a, b)), []string{"[3 4]", "[5 6]", "broadcast"}},
		{"dtype", second(engine.Mul(a, h)), []string{"float32", "float16"}},
		{"cosine", second(engine.Cosine(a, b)), []string{"[3 4]", "[5 6]"}},
		{"topk k", third(engine.TopK(a, 0, true)), []string{"k = 0"}},
		{"gather ints", second(engine.Gather(a, a)), []string{"int32 or int64"}},
		{"elementwise on ints", second(engine.Exp(idx)), []string{"int64", "float"}},
		{"axis", second(engine.Sum(a, 2)), []string{"axis", "[3 4]"}},
		{"empty", second(e.FromFloat32(nil, 0, 4)), []string{"[0 4]", "empty"}},
		{"length", second(e.FromFloat32([]float32{1, 2, 3}, 2, 2)), []string{"3 values", "[2 2]"}},
		{"rank", second(e.Zeros(engine.Float32, 1, 1, 1, 1, 1)), []string{"rank 5"}},
		{"nil", second(engine.Neg(nil)), []string{"nil"}},
		{"slice", second(engine.Slice(a, 0, 4, 0, 4)), []string{"[3 4]", "rows"}},
		{"dequantize", second(engine.Dequantize(a, a)), []string{"int8"}},
		{"segment_sum of a vector", second(engine.SegmentSum(vec, []int{4})), []string{"segment_sum", "[4]", "float matrix"}},
		{"segment_max of ints", second(engine.SegmentMax(ints, []int{2})), []string{"segment_max", "int32 [2 2]", "float matrix"}},
		{"segment_sum of no segments", second(engine.SegmentSum(a, nil)), []string{"segment_sum", "no segments"}},
		{"segment_max with a length of 0", second(engine.SegmentMax(a, []int{3, 0})), []string{"segment_max", "segment 1 has length 0", "at least 1"}},
		{"segment_sum with a negative length", second(engine.SegmentSum(a, []int{4, -1})), []string{"segment 1 has length -1"}},
		{"segment_max over 2 of 3 rows", second(engine.SegmentMax(a, []int{1, 1})), []string{"2 segments of 2 rows", "x has 3 rows"}},
		{"segment_sum over 4 of 3 rows", second(engine.SegmentSum(a, []int{1, 3})), []string{"2 segments of 4 rows", "x has 3 rows"}},
	}
	for _, c := range cases {
		if c.err == nil {
			t.Errorf("%s: no error", c.name)
			continue
		}
		if strings.Contains(c.err.Error(), "\n") {
			t.Errorf("%s: error %q is more than one line", c.name, c.err)
		}
		for _, w := range c.want {
			if !strings.Contains(c.err.Error(), w) {
				t.Errorf("%s: error %q does not mention %q", c.name, c.err, w)
			}
		}
	}
	other := open(t)
	x := ok(other.RandomNormal(1, engine.Float32, 3, 4))
	if _, err := engine.Add(a, x); err == nil || !strings.Contains(err.Error(), "different engines") {
		t.Errorf("mixing engines: %v", err)
	}
}

func second(_ *engine.Array, err error) error                 { return err }
func third(_ *engine.Array, _ *engine.Array, err error) error { return err }

func search(t *testing.T, e *engine.Engine, m, n, d, k int) (*engine.Array, *engine.Array) {
	ok := mk(t)
	q := ok(e.RandomNormal(uint64(m), engine.Float32, m, d))
	x := ok(e.RandomNormal(uint64(n), engine.Float32, n, d))
	s := ok(engine.Cosine(q, x))
	v, i, err := engine.TopK(s, k, true)
	if err != nil {
		t.Fatal(err)
	}
	return v, i
}

func TestPlanCache(t *testing.T) {
	e := open(t)
	v, i := search(t, e, 3, 500, 16, 5)
	if err := e.Eval(v, i); err != nil {
		t.Fatal(err)
	}
	st := e.Stats()
	if st.PlansBuilt != 1 || st.PlanHits != 0 {
		t.Fatalf("first eval: %+v", st)
	}
	v2, i2 := search(t, e, 3, 500, 16, 5) // new arrays, same graph shape
	if err := e.Eval(v2, i2); err != nil {
		t.Fatal(err)
	}
	if st := e.Stats(); st.PlansBuilt != 1 || st.PlanHits != 1 {
		t.Fatalf("second eval of the same shape re-planned: %+v", st)
	}
	v3, i3 := search(t, e, 3, 501, 16, 5) // another shape: a new plan
	if err := e.Eval(v3, i3); err != nil {
		t.Fatal(err)
	}
	if st := e.Stats(); st.PlansBuilt != 2 {
		t.Fatalf("a new shape did not plan: %+v", st)
	}
}

// TestFusedScanHasNoScoreMatrix checks that cosine + top-k runs as one
// step that allocates no [m, n] buffer.
func TestFusedScanHasNoScoreMatrix(t *testing.T) {
	e := open(t)
	m, n, d, k := 4, 10000, 32, 10
	v, i := search(t, e, m, n, d, k)
	p, err := e.Explain(v, i)
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Steps) != 1 || p.Steps[0].Op != engine.OpScanTopK {
		t.Fatalf("want one scan_topk step, got:\n%s", p)
	}
	if a := p.Steps[0].Attrs; !a.NormA || !a.NormB || a.K != k || a.Metric != engine.MetricDot {
		t.Fatalf("scan attributes %+v", a)
	}
	for _, val := range p.Values {
		if val.Slot >= 0 && val.Shape.Size() >= m*n {
			t.Fatalf("plan holds a value of %v:\n%s", val.Shape, p)
		}
	}
	if got, limit := p.ScratchBytes(), int64(m*k*(4+8)); got != limit {
		t.Fatalf("plan allocates %d bytes, want %d (the results only)", got, limit)
	}
	before := e.Stats().ScratchBytes
	if err := e.Eval(v, i); err != nil {
		t.Fatal(err)
	}
	if got := e.Stats().ScratchBytes - before; got >= int64(m*n*4) {
		t.Fatalf("eval allocated %d bytes, as much as a score matrix", got)
	}
}

// noFusion hides the CPU backend's Capabilities, so nothing is fused.
type noFusion struct{ *cpu.Backend }

func (noFusion) Supports(op engine.Op, _ *engine.Attrs, _ []engine.Value) bool {
	return !op.IsFused()
}

func TestFusedEqualsUnfused(t *testing.T) {
	ok := mk(t)
	fused := open(t)
	plain := engine.New("cpu-unfused", noFusion{newCPU()})
	build := func(e *engine.Engine) []*engine.Array {
		q := ok(e.RandomNormal(7, engine.Float32, 5, 48))
		x := ok(e.RandomNormal(8, engine.Float32, 2001, 48))
		v, i, err := engine.TopK(ok(engine.Cosine(q, x)), 50, true)
		if err != nil {
			t.Fatal(err)
		}
		lv, li, err := engine.TopK(ok(engine.L2Distance(q, x)), 50, false)
		if err != nil {
			t.Fatal(err)
		}
		a := ok(e.RandomNormal(9, engine.Float32, 5, 48))
		ch := ok(engine.Exp(ok(engine.FMA(q, a, ok(engine.Scale(q, 0.25))))))
		cs := ok(engine.MatMul(ok(engine.Normalize(q)), ok(engine.Normalize(x)), false, true))
		return []*engine.Array{v, i, lv, li, ch, cs}
	}
	fa, pa := build(fused), build(plain)
	if err := fused.Eval(fa...); err != nil {
		t.Fatal(err)
	}
	pf, _ := plain.Explain(pa...)
	for _, s := range pf.Steps {
		if s.Op.IsFused() {
			t.Fatalf("the unfused engine fused:\n%s", pf)
		}
	}
	ff, _ := fused.Explain(build(fused)...)
	counts := map[engine.Op]int{}
	for _, s := range ff.Steps {
		counts[s.Op]++
	}
	if counts[engine.OpScanTopK] != 2 || counts[engine.OpFusedElementwise] != 1 || counts[engine.OpNormMatMul] != 1 {
		t.Fatalf("fused plan:\n%s", ff)
	}
	for j := range fa {
		got, err := fa[j].Float32()
		if err != nil {
			t.Fatal(err)
		}
		want, err := pa[j].Float32()
		if err != nil {
			t.Fatal(err)
		}
		for i := range want {
			if math.Abs(float64(got[i]-want[i])) > 1e-5*math.Max(1, math.Abs(float64(want[i]))) {
				t.Fatalf("output %d element %d: fused %g, unfused %g", j, i, got[i], want[i])
			}
		}
	}
}

// TestBufferReuse checks that a chain of unfusable steps reuses freed
// intermediate buffers.
func TestBufferReuse(t *testing.T) {
	ok := mk(t)
	e := engine.New("cpu-unfused", noFusion{newCPU()})
	a := ok(e.RandomNormal(1, engine.Float32, 64, 64))
	x := a
	for range 6 {
		x = ok(engine.Exp(ok(engine.Scale(x, 0.01))))
	}
	p, err := e.Explain(x)
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Steps) != 12 || len(p.Slots) > 3 {
		t.Fatalf("12 steps should need at most 3 slots (two alternating and the output):\n%s", p)
	}
	want := make([]float64, 64*64)
	av, _ := a.Float32()
	for i := range want {
		v := float64(av[i])
		for range 6 {
			v = math.Exp(float64(float32(v * 0.01)))
		}
		want[i] = v
	}
	got, err := x.Float32()
	if err != nil {
		t.Fatal(err)
	}
	for i := range want {
		if math.Abs(float64(got[i])-want[i]) > 1e-5*want[i] {
			t.Fatalf("element %d: %g, want %g", i, got[i], want[i])
		}
	}
}

func TestSiblingOutputsMaterialized(t *testing.T) {
	e := open(t)
	v, i := search(t, e, 2, 300, 8, 4)
	if err := e.Eval(v); err != nil {
		t.Fatal(err)
	}
	if !i.Evaluated() {
		t.Fatal("the indices of an evaluated top-k were not kept")
	}
	runs := e.Stats().Submissions
	if _, err := i.Int64(); err != nil {
		t.Fatal(err)
	}
	if e.Stats().Submissions != runs {
		t.Fatal("reading the indices ran the plan again")
	}
}

func TestFree(t *testing.T) {
	ok := mk(t)
	e := open(t)
	a := ok(e.RandomNormal(1, engine.Float32, 100, 10))
	b := ok(engine.Scale(a, 2))
	if err := b.Eval(); err != nil {
		t.Fatal(err)
	}
	before := e.MemoryInUse()
	b.Free()
	if e.MemoryInUse() != before-4000 {
		t.Fatalf("memory in use %d after freeing 4000 of %d bytes", e.MemoryInUse(), before)
	}
	if _, err := b.Float32(); err == nil || !strings.Contains(err.Error(), "freed") {
		t.Fatalf("read of a freed array: %v", err)
	}
	a.Free()
	c := ok(engine.Neg(a))
	if err := c.Eval(); err == nil {
		t.Fatal("eval over a freed input: no error")
	}
}

func TestRegistry(t *testing.T) {
	if _, err := engine.Open("nosuch"); err == nil || !strings.Contains(err.Error(), "cpu") {
		t.Errorf("unknown backend: %v (should list the registered ones)", err)
	}
	if _, err := engine.Open("cpu:gpu7"); err == nil {
		t.Error("cpu:gpu7 opened")
	}
	t.Setenv(engine.EnvBackend, "cpu")
	e, err := engine.Default()
	if err != nil || e.Name() != "cpu" {
		t.Fatalf("Default with %s=cpu: %v %v", engine.EnvBackend, e, err)
	}
	t.Setenv(engine.EnvBackend, "nosuch")
	if _, err := engine.Default(); err == nil || !strings.Contains(err.Error(), engine.EnvBackend) {
		t.Fatalf("Default with a bad %s: %v", engine.EnvBackend, err)
	}
	defer func() {
		if recover() == nil {
			t.Error("registering cpu twice did not panic")
		}
	}()
	engine.Register("cpu", nil)
}

func TestConcurrentEval(t *testing.T) {
	ok := mk(t)
	e := open(t)
	x := ok(e.RandomNormal(1, engine.Float32, 2000, 32))
	var wg sync.WaitGroup
	errs := make(chan error, 16)
	for g := range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			q, err := e.RandomNormal(uint64(g), engine.Float32, 1, 32)
			if err != nil {
				errs <- err
				return
			}
			s, err := engine.MatMul(q, x, false, true)
			if err != nil {
				errs <- err
				return
			}
			v, _, err := engine.TopK(s, 3, true)
			if err != nil {
				errs <- err
				return
			}
			if _, err := v.Float32(); err != nil {
				errs <- err
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

func TestUnsupportedIsAnError(t *testing.T) {
	ok := mk(t)
	e := engine.New("nothing", refuseAll{newCPU()})
	a := ok(e.RandomNormal(1, engine.Float32, 3))
	err := ok(engine.Neg(a)).Eval()
	if !errors.Is(err, engine.ErrUnsupported) || !strings.Contains(err.Error(), "neg") {
		t.Fatalf("eval of an op the backend refuses: %v", err)
	}
}

type refuseAll struct{ *cpu.Backend }

func (refuseAll) Supports(engine.Op, *engine.Attrs, []engine.Value) bool { return false }
