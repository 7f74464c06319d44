package shim

import (
	"fmt"

	"github.com/silica-go/silica/engine"
)

// Run executes the plan's steps in order, each as one call of the
// library (sil_op), then finishes with one sil_eval: for an eager library
// (libtorch) the work is already queued and sil_eval waits for the
// device; for a lazy one (MLX) the steps built a graph and sil_eval
// evaluates it, once. Values are the library's arrays: plan inputs are
// views of their buffers, each step makes new arrays, an intermediate is
// released after its last reader (as Python drops a temporary), and the
// plan's outputs become the arrays of their buffers. A step the backend
// does not support (a fused op, a custom kernel) is ErrUnsupported.
func (b *Backend) Run(p *engine.Plan, bufs []engine.Buffer) error {
	if len(bufs) != len(p.Values) {
		return fmt.Errorf("%s: run: %d buffers for %d values", b.info.Backend, len(bufs), len(p.Values))
	}
	return b.call(func() error { return b.run(p, bufs) })
}

// run is Run on the worker.
//
// A plan with host steps (custom kernels, run by the engine) reaches Run
// in parts: each part's steps, with the whole plan's values and outputs.
// A part that does not compute every output is partial: values it makes
// may be read by a host step or a later part, through their buffers. So a
// partial run keeps, for each buffer slot, the last value it wrote there
// (the only one a later step can still read, since slots are shared by
// liveness over the whole plan) and leaves it in that buffer; a whole
// plan's run releases each intermediate after its last reader instead.
func (b *Backend) run(p *engine.Plan, bufs []engine.Buffer) error {
	l := b.lib
	if err := l.check("begin", l.begin(b.ctx)); err != nil {
		return err
	}
	h := make([]uintptr, len(p.Values))
	borrowed := make([]bool, len(p.Values)) // h[v] is its buffer's array
	defer func() {
		for v, x := range h {
			if x != 0 && !borrowed[v] {
				l.free(x)
			}
		}
	}()
	keep := b.kept(p)
	lastUse := make([]int, len(p.Values))
	for i := range lastUse {
		lastUse[i] = -1
	}
	for si, s := range p.Steps {
		for _, v := range s.In {
			lastUse[v] = si
		}
	}
	release := func(v int) {
		if h[v] != 0 && !keep[v] {
			if !borrowed[v] {
				l.free(h[v])
			}
			h[v] = 0
		}
	}
	for si := range p.Steps {
		s := &p.Steps[si]
		what := fmt.Sprintf("%s: step %d %s", b.info.Backend, si, engine.DescribeStep(s))
		if !b.Supports(s.Op, &s.Attrs, nil) || len(s.In) == 0 || len(s.Out) == 0 {
			return fmt.Errorf("%w: %s", engine.ErrUnsupported, what)
		}
		in := make([]uintptr, len(s.In))
		for j, v := range s.In {
			if h[v] == 0 {
				x, adopted, err := b.view(p.Values[v], bufs[v])
				if err != nil {
					return fmt.Errorf("%s: input v%d: %w", what, v, err)
				}
				h[v], borrowed[v] = x, adopted
			}
			in[j] = h[v]
		}
		out := make([]uintptr, len(s.Out))
		a := attrsOf(&s.Attrs)
		st := l.op(b.ctx, int32(s.Op), &a, &in[0], int32(len(in)), &out[0], int32(len(out)))
		for j, v := range s.Out {
			h[v] = out[j] // freed by the deferred loop on failure
		}
		if err := l.check(what, st); err != nil {
			return err
		}
		for j, v := range s.Out {
			if out[j] == 0 {
				return fmt.Errorf("%s: %w", what, errNilHandle)
			}
			if got, want := l.nbytes(out[j]), int64(p.Values[v].Bytes()); got != want {
				return fmt.Errorf("%s: output %d has %d bytes, want %d (%s)", what, j, got, want, p.Values[v])
			}
		}
		for _, v := range s.In {
			if lastUse[v] == si {
				release(v)
			}
		}
		for _, v := range s.Out {
			if lastUse[v] < 0 {
				release(v)
			}
		}
	}
	var kept []int
	for v, k := range keep {
		if k {
			if h[v] == 0 {
				return fmt.Errorf("%s: value v%d (%s) was never computed", b.info.Backend, v, p.Values[v])
			}
			kept = append(kept, v)
		}
	}
	if len(kept) == 0 {
		return nil
	}
	hs := make([]uintptr, len(kept))
	for i, v := range kept {
		hs[i] = h[v]
	}
	if err := l.check(b.info.Backend+": eval", l.eval(b.ctx, &hs[0], int32(len(hs)))); err != nil {
		return err
	}
	for _, v := range kept {
		d, err := b.buffer(bufs[v])
		if err != nil {
			return err
		}
		if d.size < p.Values[v].Bytes() {
			return fmt.Errorf("%s: v%d (%s) in a %d-byte buffer", b.info.Backend, v, p.Values[v], d.size)
		}
		if d.h != 0 {
			l.free(d.h)
		}
		d.h, h[v] = h[v], 0
	}
	return nil
}

// kept returns the values a run leaves in their buffers: the outputs of a
// whole plan; for a partial one (see run), the last value its steps write
// to each buffer slot, outputs included.
func (b *Backend) kept(p *engine.Plan) []bool {
	keep := make([]bool, len(p.Values))
	produced := make([]bool, len(p.Values))
	lastInSlot := map[int]int{}
	for _, s := range p.Steps {
		for _, v := range s.Out {
			produced[v] = true
			lastInSlot[p.Values[v].Slot] = v
		}
	}
	partial := false
	for _, v := range p.Outputs {
		partial = partial || !produced[v]
	}
	if !partial {
		for _, v := range p.Outputs {
			keep[v] = true
		}
		return keep
	}
	for _, v := range lastInSlot {
		keep[v] = true
	}
	return keep
}

// view returns the array of value v: the first bytes of its buffer seen
// as v's dtype and shape. Where v fills the buffer, the view becomes the
// buffer's array (adopted: the buffer owns it), so that later runs find
// the array already typed: raw uploads are reinterpreted once, not per
// run (for MLX a view is a graph node, evaluated with the plan). Called
// on the worker.
func (b *Backend) view(v engine.Value, buf engine.Buffer) (x uintptr, adopted bool, err error) {
	d, err := b.buffer(buf)
	if err != nil {
		return 0, false, err
	}
	if d.size < v.Bytes() {
		return 0, false, fmt.Errorf("%s in a %d-byte buffer", v, d.size)
	}
	if err := b.materialize(d); err != nil {
		return 0, false, err
	}
	shape := make([]int64, len(v.Shape)+1) // +1: a valid pointer for rank 0
	for i, n := range v.Shape {
		shape[i] = int64(n)
	}
	if err := b.lib.check("view", b.lib.view(b.ctx, d.h, int32(v.DType), &shape[0], int32(len(v.Shape)), &x)); err != nil {
		return 0, false, err
	}
	if d.size != v.Bytes() {
		return x, false, nil
	}
	b.lib.free(d.h)
	d.h = x
	return x, true, nil
}
