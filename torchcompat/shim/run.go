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
// plan's outputs become the arrays of their buffers.
func (b *Backend) Run(p *engine.Plan, bufs []engine.Buffer) error {
	if len(bufs) != len(p.Values) {
		return fmt.Errorf("%s: run: %d buffers for %d values", b.info.Backend, len(bufs), len(p.Values))
	}
	return b.call(func() error { return b.run(p, bufs) })
}

// run is Run on the worker.
func (b *Backend) run(p *engine.Plan, bufs []engine.Buffer) error {
	l := b.lib
	if err := l.check("begin", l.begin(b.ctx)); err != nil {
		return err
	}
	h := make([]uintptr, len(p.Values))
	defer func() {
		for _, x := range h {
			if x != 0 {
				l.free(x)
			}
		}
	}()
	lastUse := make([]int, len(p.Values))
	for i := range lastUse {
		lastUse[i] = -1
	}
	for si, s := range p.Steps {
		for _, v := range s.In {
			lastUse[v] = si
		}
	}
	isOut := make([]bool, len(p.Values))
	for _, v := range p.Outputs {
		isOut[v] = true
	}
	release := func(v int) {
		if h[v] != 0 && !isOut[v] {
			l.free(h[v])
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
				x, err := b.view(p.Values[v], bufs[v])
				if err != nil {
					return fmt.Errorf("%s: input v%d: %w", what, v, err)
				}
				h[v] = x
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
	outs := make([]uintptr, len(p.Outputs))
	for i, v := range p.Outputs {
		if h[v] == 0 {
			return fmt.Errorf("%s: plan output v%d was never computed", b.info.Backend, v)
		}
		outs[i] = h[v]
	}
	if len(outs) > 0 {
		if err := l.check(b.info.Backend+": eval", l.eval(b.ctx, &outs[0], int32(len(outs)))); err != nil {
			return err
		}
	}
	for _, v := range p.Outputs {
		d, err := b.buffer(bufs[v])
		if err != nil {
			return err
		}
		if d.size < p.Values[v].Bytes() {
			return fmt.Errorf("%s: output v%d (%s) in a %d-byte buffer", b.info.Backend, v, p.Values[v], d.size)
		}
		if d.h != 0 {
			l.free(d.h)
		}
		d.h, h[v] = h[v], 0
	}
	return nil
}

// view returns the array of value v: the first bytes of its buffer seen
// as v's dtype and shape. Called on the worker.
func (b *Backend) view(v engine.Value, buf engine.Buffer) (uintptr, error) {
	d, err := b.buffer(buf)
	if err != nil {
		return 0, err
	}
	if d.size < v.Bytes() {
		return 0, fmt.Errorf("%s in a %d-byte buffer", v, d.size)
	}
	if err := b.materialize(d); err != nil {
		return 0, err
	}
	shape := make([]int64, len(v.Shape)+1) // +1: a valid pointer for rank 0
	for i, n := range v.Shape {
		shape[i] = int64(n)
	}
	var x uintptr
	err = b.lib.check("view", b.lib.view(b.ctx, d.h, int32(v.DType), &shape[0], int32(len(v.Shape)), &x))
	return x, err
}
