package encode

import (
	"math"

	"github.com/silica-go/silica/engine"
)

// graph builds one batch's forward pass as a lazy engine graph. Every op
// goes through it; the first error is kept (later ops see a nil input and
// fail too, so no check is needed between them) and returned by out.
type graph struct {
	m   *Encoder
	err error
}

func (g *graph) keep(a *engine.Array, err error) *engine.Array {
	if err != nil && g.err == nil {
		g.err = err
	}
	return a
}

func (g *graph) add(a, b *engine.Array) *engine.Array {
	if a == nil && g.err == nil {
		return b // the first term of a sum
	}
	return g.keep(engine.Add(a, b))
}
func (g *graph) sub(a, b *engine.Array) *engine.Array { return g.keep(engine.Sub(a, b)) }
func (g *graph) mul(a, b *engine.Array) *engine.Array { return g.keep(engine.Mul(a, b)) }
func (g *graph) div(a, b *engine.Array) *engine.Array { return g.keep(engine.Div(a, b)) }
func (g *graph) scale(a *engine.Array, s float64) *engine.Array {
	return g.keep(engine.Scale(a, float32(s)))
}
func (g *graph) matmul(a, b *engine.Array, ta, tb bool) *engine.Array {
	return g.keep(engine.MatMul(a, b, ta, tb))
}
func (g *graph) slice(a *engine.Array, r0, r1, c0, c1 int) *engine.Array {
	return g.keep(engine.Slice(a, r0, r1, c0, c1))
}

// eval evaluates a (nil after an error) and returns it.
func (g *graph) eval(a *engine.Array) *engine.Array {
	if g.err == nil {
		g.err = a.Eval()
	}
	return a
}

// linear returns x·Wᵀ + b: x [n, in] -> [n, out].
func (g *graph) linear(x *engine.Array, d dense) *engine.Array {
	return g.add(g.matmul(g.storage(x), d.w, false, true), d.b)
}

// storage returns x as the dtype the weights are stored in (MatMul takes
// one dtype; it accumulates in float32 and returns Float32).
func (g *graph) storage(x *engine.Array) *engine.Array {
	return g.keep(engine.Cast(x, g.m.dtype))
}

// float32 returns x as Float32.
func (g *graph) float32(x *engine.Array) *engine.Array {
	return g.keep(engine.Cast(x, engine.Float32))
}

// layerNorm normalizes each row of x [n, h] to mean 0 and variance 1
// (the biased variance, eps inside the square root, as torch) and applies
// the scale and shift: engine.LayerNorm.
func (g *graph) layerNorm(x *engine.Array, p norm) *engine.Array {
	return g.keep(engine.LayerNorm(x, p.g, p.b, float32(g.m.cfg.Eps)))
}

// gelu is BERT's GELU, x/2 * (1 + erf(x/sqrt 2)).
func (g *graph) gelu(x *engine.Array) *engine.Array {
	e := g.keep(engine.Erf(g.scale(x, 1/math.Sqrt2)))
	return g.mul(g.scale(x, 0.5), g.add(e, g.m.one))
}

// span is one text's rows [start, end) in the packed batch.
type span struct{ start, end int }

// maxTogether is the longest text whose heads attend together (see
// attention); longer texts take one head at a time.
const maxTogether = 96

// aux holds one text's index vectors for the all-heads attention, each
// [heads*t] Int32 with row h*t+q for head h and query q: rows the query's
// row in the batch, head h, local q.
type aux struct{ rows, head, local *engine.Array }

// auxFor makes the index vectors of every text short enough for the
// all-heads attention (nil for the others).
func (g *graph) auxFor(spans []span) []*aux {
	heads := g.m.cfg.Heads
	out := make([]*aux, len(spans))
	for i, s := range spans {
		t := s.end - s.start
		if t > maxTogether {
			continue
		}
		rows, head, local := make([]int32, heads*t), make([]int32, heads*t), make([]int32, heads*t)
		for h := range heads {
			for q := range t {
				rows[h*t+q], head[h*t+q], local[h*t+q] = int32(s.start+q), int32(h), int32(q)
			}
		}
		out[i] = &aux{g.keep(g.m.e.FromInt32(rows, heads*t)), g.keep(g.m.e.FromInt32(head, heads*t)), g.keep(g.m.e.FromInt32(local, heads*t))}
	}
	return out
}

// column returns v [r] as a column [r, 1]: broadcast against a [1, 1]
// one it is a row [1, r], and a product with its transpose makes it a
// column.
func (g *graph) column(v *engine.Array) *engine.Array {
	return g.matmul(g.mul(v, g.m.one11), g.m.one11, true, false)
}

// attention is multi-head self-attention over x [n, h], the rows of each
// text attending only to that text's rows (so no mask is needed). Each
// text's result [t, h] is placed at its rows of the [n, h] output by a
// product with the identity's columns [start, end).
//
// A short text runs every head in one set of products (headsTogether);
// a long one runs one head at a time: the scores built transposed, s
// [keys, queries], so the softmax's per-query max and sum (reductions
// along axis 0, shape [queries]) broadcast along the last axis, and the
// context [queries, headDim] projected by the head's columns of the
// output weights and summed over heads.
func (g *graph) attention(x *engine.Array, l *layer, spans []span, aux []*aux, n int) *engine.Array {
	m := g.m
	dh := m.cfg.Hidden / m.cfg.Heads
	q := g.scale(g.linear(x, l.q), 1/math.Sqrt(float64(dh)))
	k := g.linear(x, l.k)
	v := g.linear(x, l.v)
	var ctx, out *engine.Array // placed contexts (to project), placed projected outputs
	for i, s := range spans {
		place := g.slice(m.eye, 0, n, s.start, s.end) // [n, t]
		if aux[i] != nil {
			c := g.headsTogether(q, k, v, s, aux[i])
			ctx = g.add(ctx, g.matmul(place, c, false, false))
			continue
		}
		var acc *engine.Array
		for h := range m.cfg.Heads {
			c0, c1 := h*dh, (h+1)*dh
			qh := g.slice(q, s.start, s.end, c0, c1)
			kh := g.slice(k, s.start, s.end, c0, c1)
			vh := g.slice(v, s.start, s.end, c0, c1)
			st := g.matmul(kh, qh, false, true) // [keys, queries]
			mx := g.keep(engine.ReduceMax(st, 0))
			ex := g.keep(engine.Exp(g.sub(st, mx)))
			p := g.div(ex, g.keep(engine.Sum(ex, 0)))
			c := g.matmul(p, vh, true, false) // [queries, dh]
			acc = g.add(acc, g.matmul(g.storage(c), l.oHeads[h], false, true))
		}
		out = g.add(out, g.matmul(place, acc, false, false))
	}
	res := l.o.b
	if ctx != nil {
		res = g.linear(ctx, l.o)
	}
	if out != nil {
		res = g.add(out, res)
	}
	return res
}

// headsTogether returns the context [t, h] (heads side by side) of one
// text, every head at once: the queries are repeated per head and masked
// to the head's columns, qm [heads*t, h] (row h*t+q), so one product with
// the text's keys gives every head's scores [heads*t, keys]; the softmax
// runs along the last axis with [heads*t, 1] columns of maxima and sums;
// the product with the values keeps, masked, each row's head columns, and
// a product with the repeated identity [heads*t, t] adds the heads' rows
// of each query. The masked zeros make every score and context exactly
// the one head's.
func (g *graph) headsTogether(q, k, v *engine.Array, s span, a *aux) *engine.Array {
	m := g.m
	t, hid := s.end-s.start, m.cfg.Hidden
	mask := g.keep(engine.Gather(m.headMask, a.head)) // [heads*t, h]
	qm := g.mul(g.keep(engine.Gather(q, a.rows)), mask)
	kt := g.slice(k, s.start, s.end, 0, hid)
	vt := g.slice(v, s.start, s.end, 0, hid)
	st := g.matmul(qm, kt, false, true) // [heads*t, keys]
	ex := g.keep(engine.Exp(g.sub(st, g.column(g.keep(engine.ReduceMax(st, 1))))))
	p := g.div(ex, g.column(g.keep(engine.Sum(ex, 1))))
	c := g.mul(g.matmul(p, vt, false, false), mask) // [heads*t, h]
	rep := g.keep(engine.Gather(g.slice(m.eye, 0, t, 0, t), a.local))
	return g.matmul(rep, c, true, false) // [t, h]
}

// forward returns the sentence vectors [len(spans), h] of a packed batch:
// ids and positions [n] Int32, spans the rows of each text.
func (g *graph) forward(ids, pos *engine.Array, spans []span, n int) *engine.Array {
	m := g.m
	w := m.w
	x := g.add(g.add(g.float32(g.keep(engine.Gather(w.word, ids))), g.float32(g.keep(engine.Gather(w.pos, pos)))), w.typeRow)
	x = g.layerNorm(x, w.ln)
	aux := g.auxFor(spans)
	for i := range w.layers {
		l := &w.layers[i]
		in := x
		x = g.layerNorm(g.add(g.attention(x, l, spans, aux, n), x), l.ln1)
		y := g.linear(g.gelu(g.linear(x, l.up)), l.down)
		x = g.layerNorm(g.add(y, x), l.ln2)
		// One evaluation per layer: the scheduler's passes cost more than
		// linear time in the nodes of a graph, and a layer has
		// texts x heads x 10 of them.
		x = g.eval(x)
		if i > 0 && g.err == nil {
			in.Free() // the previous layer's output
		}
	}
	out := g.pool(x, spans, n)
	if m.cfg.Normalize {
		out = g.keep(engine.Normalize(out))
	}
	return out
}

// pool turns the token rows x [n, h] into one row per text, [b, h].
func (g *graph) pool(x *engine.Array, spans []span, n int) *engine.Array {
	m := g.m
	b := len(spans)
	switch m.cfg.Pooling {
	case PoolCLS:
		first := make([]int32, b)
		for i, s := range spans {
			first[i] = int32(s.start)
		}
		idx := g.keep(m.e.FromInt32(first, b))
		return g.keep(engine.Gather(x, idx))
	case PoolMax:
		// Each text's column maxima [h] become a row [1, h] by
		// broadcasting against a [1, 1] one, placed at row i of the
		// output by the identity's column i.
		var out *engine.Array
		for i, s := range spans {
			mx := g.keep(engine.ReduceMax(g.slice(x, s.start, s.end, 0, m.cfg.Hidden), 0))
			row := g.mul(mx, m.one11)
			out = g.add(out, g.matmul(g.slice(m.eye, 0, b, i, i+1), row, false, false))
		}
		return out
	}
	// Mean: a [b, n] selector of ones times x, divided by the counts [b, 1]
	// (sum, then divide, as sentence-transformers does).
	sel := make([]float32, b*n)
	counts := make([]float32, b)
	for i, s := range spans {
		for r := s.start; r < s.end; r++ {
			sel[i*n+r] = 1
		}
		counts[i] = float32(s.end - s.start)
	}
	sa := g.keep(m.e.FromFloat32(sel, b, n))
	ca := g.keep(m.e.FromFloat32(counts, b, 1))
	return g.div(g.matmul(sa, x, false, false), ca)
}
