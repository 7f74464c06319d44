package engine_test

import (
	"encoding/binary"
	"errors"
	"math"
	"slices"
	"testing"

	"github.com/silica-go/silica/cpu"
	"github.com/silica-go/silica/engine"
)

// aheadRecorder is a CPU backend that implements engine.ReadAhead as a
// device would: RunRead keeps a copy of each read buffer, which Read then
// serves until the next run or write. It records the values each RunRead
// was asked to read.
type aheadRecorder struct {
	*cpu.Backend
	runs, runReads, served int
	read                   [][]engine.Value
	copies                 map[engine.Buffer][]byte
}

func (r *aheadRecorder) Run(p *engine.Plan, bufs []engine.Buffer) error {
	r.runs++
	r.copies = nil
	return r.Backend.Run(p, bufs)
}

func (r *aheadRecorder) RunRead(p *engine.Plan, bufs []engine.Buffer, read []int) error {
	r.runReads++
	r.copies = map[engine.Buffer][]byte{}
	if err := r.Backend.Run(p, bufs); err != nil {
		return err
	}
	var vs []engine.Value
	for _, v := range read {
		c := make([]byte, p.Values[v].Bytes())
		if err := r.Backend.Read(bufs[v], 0, c); err != nil {
			return err
		}
		r.copies[bufs[v]] = c
		vs = append(vs, p.Values[v])
	}
	r.read = append(r.read, vs)
	return nil
}

func (r *aheadRecorder) Read(src engine.Buffer, off int, dst []byte) error {
	if c, ok := r.copies[src]; ok {
		r.served++
		copy(dst, c[off:])
		return nil
	}
	return r.Backend.Read(src, off, dst)
}

func (r *aheadRecorder) Write(dst engine.Buffer, off int, src []byte) error {
	r.copies = nil
	return r.Backend.Write(dst, off, src)
}

func (r *aheadRecorder) CopyBuffer(dst engine.Buffer, dstOff int, src engine.Buffer, srcOff, n int) error {
	r.copies = nil
	return r.Backend.CopyBuffer(dst, dstOff, src, srcOff, n)
}

// TestEvalRead checks Engine.EvalRead: one submission, RunRead asked for
// exactly the outputs of the read arrays that the plan computes (not
// those already evaluated, not the other outputs), reads served from its
// copies with the values a plain Eval on another engine gives, and Eval
// (or EvalRead with nothing to read) a plain Run.
func TestEvalRead(t *testing.T) {
	ok := mk(t)
	r := &aheadRecorder{Backend: newCPU()}
	e := engine.New("ahead", r)
	plain := engine.New("plain", newCPU())
	search := func(e *engine.Engine) (v, i, s *engine.Array) {
		x := ok(e.RandomNormal(3, engine.Float32, 301, 24))
		q := ok(e.RandomNormal(4, engine.Float32, 5, 24))
		c := ok(engine.Cosine(q, x))
		v, i, err := engine.TopK(c, 7, true)
		if err != nil {
			t.Fatal(err)
		}
		return v, i, ok(engine.Sum(c, 1))
	}
	v, i, s := search(e)
	pv, pi, ps := search(plain)
	if err := plain.Eval(pv, pi, ps); err != nil {
		t.Fatal(err)
	}
	runs := r.runs
	if err := e.EvalRead([]*engine.Array{v, i}, s); err != nil {
		t.Fatal(err)
	}
	if r.runReads != 1 || r.runs != runs {
		t.Fatalf("EvalRead: %d RunReads and %d Runs; want 1 and 0", r.runReads, r.runs-runs)
	}
	want := []engine.Value{{DType: engine.Float32, Shape: engine.Shape{5, 7}}, {DType: engine.Int64, Shape: engine.Shape{5, 7}}}
	if !sameValues(r.read[0], want) {
		t.Errorf("RunRead read %v; want %v", r.read[0], want)
	}
	gotV, err := v.Float32()
	if err != nil {
		t.Fatal(err)
	}
	gotI, err := i.Int64()
	if err != nil {
		t.Fatal(err)
	}
	if r.served != 2 {
		t.Errorf("%d reads served from the read-ahead copies; want 2", r.served)
	}
	wantV, _ := pv.Float32()
	wantI, _ := pi.Int64()
	gotS, _ := s.Float32()
	wantS, _ := ps.Float32()
	if !slices.Equal(gotV, wantV) || !slices.Equal(gotI, wantI) || !slices.Equal(gotS, wantS) {
		t.Errorf("EvalRead's results %v %v %v; a plain Eval's %v %v %v", gotV, gotI, gotS, wantV, wantI, wantS)
	}

	// v is evaluated: only the new array is read ahead.
	n := ok(engine.Scale(v, 2))
	if err := e.EvalRead([]*engine.Array{v, n}); err != nil {
		t.Fatal(err)
	}
	if len(r.read) != 2 || !sameValues(r.read[1], want[:1]) {
		t.Errorf("RunRead of an evaluated and a new array read %v; want the new one only", r.read[1:])
	}

	runReads := r.runReads
	for _, eval := range []func(a *engine.Array) error{
		func(a *engine.Array) error { return e.Eval(a) },
		func(a *engine.Array) error { return e.EvalRead(nil, a) },
	} {
		if err := eval(ok(engine.Scale(v, 3))); err != nil {
			t.Fatal(err)
		}
	}
	if r.runReads != runReads {
		t.Errorf("Eval and EvalRead(nil, ...) made %d RunReads; want none", r.runReads-runReads)
	}
}

// aheadNoCustom is an aheadRecorder refusing custom kernels, as a GPU
// backend without the kernel's source does: their steps run on the host.
type aheadNoCustom struct{ *aheadRecorder }

func (n aheadNoCustom) Supports(op engine.Op, a *engine.Attrs, in []engine.Value) bool {
	return op != engine.OpCustom && n.Backend.Supports(op, a, in)
}

// TestEvalReadHostSteps checks EvalRead of a plan with a step on the host
// (a custom kernel the backend refuses): it runs in several submissions,
// the last read ahead, and the array read holds what a plain Eval gives;
// a plan that ends on the host reads nothing ahead.
func TestEvalReadHostSteps(t *testing.T) {
	ok := mk(t)
	k := rowSumSq(t)
	r := &aheadRecorder{Backend: newCPU()}
	e := engine.New("ahead-host", aheadNoCustom{r})
	plain := engine.New("plain", newCPU())
	sums := func(e *engine.Engine) *engine.Array {
		x := ok(e.RandomNormal(5, engine.Float32, 37, 19))
		outs, err := k.Call([]int64{3}, ok(engine.Scale(x, 2)))
		if err != nil {
			t.Fatal(err)
		}
		return ok(engine.Scale(outs[0], 0.5))
	}
	got, want := sums(e), sums(plain)
	if err := e.EvalRead([]*engine.Array{got}); err != nil {
		t.Fatal(err)
	}
	if r.runReads != 1 || r.runs != 1 || r.served != 0 {
		t.Errorf("EvalRead over a host step: %d RunReads, %d Runs; want 1 and 1", r.runReads, r.runs)
	}
	g, err := got.Float32()
	if err != nil {
		t.Fatal(err)
	}
	w, err := want.Float32()
	if err != nil {
		t.Fatal(err)
	}
	if r.served != 1 || !slices.Equal(g, w) {
		t.Errorf("EvalRead over a host step: %v (%d reads served ahead); a plain Eval: %v", g, r.served, w)
	}

	// The plan ends with the host step.
	x := ok(e.RandomNormal(6, engine.Float32, 11, 7))
	outs, err := k.Call([]int64{1}, ok(engine.Scale(x, 2)))
	if err != nil {
		t.Fatal(err)
	}
	runReads := r.runReads
	if err := e.EvalRead(outs); err != nil {
		t.Fatal(err)
	}
	if r.runReads != runReads {
		t.Errorf("EvalRead of a plan ending on the host: %d RunReads; want none", r.runReads-runReads)
	}
}

// sameValues reports whether a and b hold the same dtypes and shapes.
func sameValues(a, b []engine.Value) bool {
	return slices.EqualFunc(a, b, func(x, y engine.Value) bool { return x.DType == y.DType && slices.Equal(x.Shape, y.Shape) })
}

// TestView checks engine.View on the CPU (its buffers shown as they
// are), on a backend without HostViewer (copies), and over host memory
// wrapped off its elements' alignment (copies): the views hold the
// arrays' elements, in order; arrays of two engines are an error, and
// fn's error is View's.
func TestView(t *testing.T) {
	ok := mk(t)
	type plain struct{ engine.Backend } // no HostViewer
	for _, e := range []*engine.Engine{engine.New("cpu", newCPU()), engine.New("plain", plain{newCPU()})} {
		x := ok(e.RandomNormal(3, engine.Float32, 97, 13))
		v, i, err := engine.TopK(x, 5, true)
		if err != nil {
			t.Fatal(err)
		}
		raw := make([]byte, 4*7+1)
		for j := range 7 {
			binary.LittleEndian.PutUint32(raw[1+4*j:], math.Float32bits(float32(j)-2.5))
		}
		w := ok(e.FromBytesNoCopy(raw[1:], engine.Float32, 7))
		var got [][]byte
		err = engine.View([]*engine.Array{v, i, w}, func(views [][]byte) error {
			for _, b := range views {
				got = append(got, slices.Clone(b))
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		wantV, _ := v.Float32()
		wantI, _ := i.Int64()
		wantW, _ := w.Float32()
		if !slices.Equal(engine.Float32s(got[0]), wantV) || !slices.Equal(engine.Int64s(got[1]), wantI) || !slices.Equal(engine.Float32s(got[2]), wantW) {
			t.Errorf("%s: views %v %v %v; want %v %v %v", e.Name(), engine.Float32s(got[0]), engine.Int64s(got[1]), engine.Float32s(got[2]), wantV, wantI, wantW)
		}
		stop := errors.New("stop")
		if err := engine.View([]*engine.Array{v}, func([][]byte) error { return stop }); err != stop {
			t.Errorf("%s: View returned %v; want fn's error", e.Name(), err)
		}
	}
	a := ok(engine.New("a", newCPU()).Zeros(engine.Float32, 3))
	b := ok(engine.New("b", newCPU()).Zeros(engine.Float32, 3))
	if err := engine.View([]*engine.Array{a, b}, func([][]byte) error { return nil }); err == nil {
		t.Error("a view of two engines' arrays: no error")
	}
}
