package engine_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/silica-go/silica/cpu"
	"github.com/silica-go/silica/engine"
)

// warmRecorder is a CPU backend that implements engine.Warmer: it keeps
// the plans it is asked to warm and counts runs and allocations.
type warmRecorder struct {
	*cpu.Backend
	warmed       []*engine.Plan
	runs, allocs int
	fail         error
}

func (w *warmRecorder) Warm(p *engine.Plan) error {
	w.warmed = append(w.warmed, p)
	return w.fail
}

func (w *warmRecorder) Run(p *engine.Plan, bufs []engine.Buffer) error {
	w.runs++
	return w.Backend.Run(p, bufs)
}

func (w *warmRecorder) Alloc(n int) (engine.Buffer, error) {
	w.allocs++
	return w.Backend.Alloc(n)
}

// TestWarm checks Engine.Warm: the backend is handed the plan that Eval
// then runs (planned once: Eval finds it in the cache), nothing runs or
// is allocated, the arrays stay unevaluated and evaluate to the same
// values as without Warm; a backend's error names the engine; a backend
// without Warmer gets nil.
func TestWarm(t *testing.T) {
	ok := mk(t)
	w := &warmRecorder{Backend: newCPU()}
	e := engine.New("warm", w)
	x := ok(e.RandomNormal(3, engine.Float32, 300, 24))
	if err := x.Eval(); err != nil {
		t.Fatal(err)
	}
	q := ok(e.RandomNormal(4, engine.Float32, 5, 24))
	if err := q.Eval(); err != nil {
		t.Fatal(err)
	}
	search := func() (*engine.Array, *engine.Array) {
		s := ok(engine.Cosine(q, x))
		v, i, err := engine.TopK(s, 7, true)
		if err != nil {
			t.Fatal(err)
		}
		return v, i
	}
	runs, allocs, built := w.runs, w.allocs, e.Stats().PlansBuilt
	v, i := search()
	if err := e.Warm(v, i); err != nil {
		t.Fatal(err)
	}
	if len(w.warmed) != 1 || w.runs != runs || w.allocs != allocs {
		t.Fatalf("warm: %d plans warmed, %d runs, %d allocations; want 1, 0, 0", len(w.warmed), w.runs-runs, w.allocs-allocs)
	}
	if v.Evaluated() || i.Evaluated() {
		t.Fatal("warm evaluated the arrays")
	}
	if err := e.Eval(v, i); err != nil {
		t.Fatal(err)
	}
	st := e.Stats()
	if st.PlansBuilt != built+1 || st.PlanHits < 1 {
		t.Errorf("eval after warm: %+v; want the warmed plan from the cache", st)
	}
	got, err := i.Int64()
	if err != nil {
		t.Fatal(err)
	}
	plain := engine.New("plain", newCPU())
	x2 := ok(plain.FromFloat32(must32(t, x), 300, 24))
	q2 := ok(plain.FromFloat32(must32(t, q), 5, 24))
	_, i2, err := engine.TopK(ok(engine.Cosine(q2, x2)), 7, true)
	if err != nil {
		t.Fatal(err)
	}
	want, err := i2.Int64()
	if err != nil {
		t.Fatal(err)
	}
	for j := range want {
		if got[j] != want[j] {
			t.Fatalf("indices after warm %v, without %v", got, want)
		}
	}
	w.fail = errors.New("kernel x does not compile")
	v3, i3 := search()
	if err := e.Warm(v3, i3); err == nil || !strings.Contains(err.Error(), "warm") || !strings.Contains(err.Error(), "kernel x") {
		t.Errorf("warm with a failing backend: %v", err)
	}
	if err := plain.Warm(ok(engine.Neg(x2))); err != nil {
		t.Errorf("warm on a backend without Warmer: %v", err)
	}
}

func must32(t *testing.T, a *engine.Array) []float32 {
	t.Helper()
	v, err := a.Float32()
	if err != nil {
		t.Fatal(err)
	}
	return v
}
