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
	return g.linearOf(g.storage(x), d)
}

// linearOf is linear of x already in the weights' dtype (storage), for an
// x that several products read.
func (g *graph) linearOf(xs *engine.Array, d dense) *engine.Array {
	return g.add(g.matmul(xs, d.w, false, true), d.b)
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

// attention is multi-head self-attention over x [n, h], the rows of each
// text attending only to that text's rows (engine.Attention over the
// packed texts, so no padding and no mask), then the output projection.
func (g *graph) attention(x *engine.Array, l *layer, lengths []int) *engine.Array {
	m := g.m
	dh := m.cfg.Hidden / m.cfg.Heads
	xs := g.storage(x) // one cast for the three products
	q := g.linearOf(xs, l.q)
	k := g.linearOf(xs, l.k)
	v := g.linearOf(xs, l.v)
	c := g.keep(engine.Attention(q, k, v, m.cfg.Heads, float32(1/math.Sqrt(float64(dh))), lengths))
	return g.linear(c, l.o)
}

// forward returns the sentence vectors [len(spans), h] of a packed batch:
// ids and positions [n] Int32, spans the rows of each text.
func (g *graph) forward(ids, pos *engine.Array, spans []span, n int) *engine.Array {
	m := g.m
	w := m.w
	x := g.add(g.add(g.float32(g.keep(engine.Gather(w.word, ids))), g.float32(g.keep(engine.Gather(w.pos, pos)))), w.typeRow)
	x = g.layerNorm(x, w.ln)
	lengths := make([]int, len(spans))
	for i, s := range spans {
		lengths[i] = s.end - s.start
	}
	for i := range w.layers {
		l := &w.layers[i]
		in := x
		x = g.layerNorm(g.add(g.attention(x, l, lengths), x), l.ln1)
		y := g.linear(g.gelu(g.linear(x, l.up)), l.down)
		x = g.layerNorm(g.add(y, x), l.ln2)
		// One evaluation per layer, so that each layer's intermediates
		// are freed as it ends.
		x = g.eval(x)
		if i > 0 && g.err == nil {
			in.Free() // the previous layer's output
		}
	}
	out := g.pool(x, spans)
	if m.cfg.Normalize {
		out = g.keep(engine.Normalize(out))
	}
	return out
}

// pool turns the token rows x [n, h] into one row per text, [b, h]:
// the first row of each text (CLS), the maxima of its rows
// (engine.SegmentMax), or their sum divided by their count
// (engine.SegmentSum; sum, then divide, as sentence-transformers does).
func (g *graph) pool(x *engine.Array, spans []span) *engine.Array {
	m := g.m
	b := len(spans)
	lengths := make([]int, b)
	for i, s := range spans {
		lengths[i] = s.end - s.start
	}
	switch m.cfg.Pooling {
	case PoolCLS:
		first := make([]int32, b)
		for i, s := range spans {
			first[i] = int32(s.start)
		}
		idx := g.keep(m.e.FromInt32(first, b))
		return g.keep(engine.Gather(x, idx))
	case PoolMax:
		return g.keep(engine.SegmentMax(x, lengths))
	}
	counts := make([]float32, b)
	for i, l := range lengths {
		counts[i] = float32(l)
	}
	ca := g.keep(m.e.FromFloat32(counts, b, 1))
	return g.div(g.keep(engine.SegmentSum(x, lengths)), ca)
}
