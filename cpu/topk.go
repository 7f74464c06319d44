package cpu

import (
	"encoding/binary"
	"math"
	"sort"

	"github.com/silica-go/silica/engine"
)

func init() {
	kernels[engine.OpTopK] = topkKernel
	kernels[engine.OpScanTopK] = scanKernel
}

// order ranks candidates: largest or smallest first, ties to the smaller
// index, NaN after every number.
type order struct{ largest bool }

// ahead reports whether (v, i) ranks ahead of (w, j).
func (o order) ahead(v float32, i int64, w float32, j int64) bool {
	switch {
	case v != v:
		return w != w && i < j
	case w != w:
		return true
	case v == w:
		return i < j
	case o.largest:
		return v > w
	}
	return v < w
}

// selector keeps the k best candidates seen, as a heap whose root is the
// worst of them.
type selector struct {
	o    order
	k    int
	vals []float32
	idx  []int64
}

func newSelector(o order, k int) *selector {
	return &selector{o: o, k: k, vals: make([]float32, 0, k), idx: make([]int64, 0, k)}
}

// worse reports whether heap entry a ranks behind entry b.
func (s *selector) worse(a, b int) bool {
	return s.o.ahead(s.vals[b], s.idx[b], s.vals[a], s.idx[a])
}

func (s *selector) push(v float32, i int64) {
	if len(s.vals) < s.k {
		s.vals = append(s.vals, v)
		s.idx = append(s.idx, i)
		for c := len(s.vals) - 1; c > 0; {
			p := (c - 1) / 2
			if !s.worse(c, p) {
				break
			}
			s.swap(c, p)
			c = p
		}
		return
	}
	if !s.o.ahead(v, i, s.vals[0], s.idx[0]) {
		return
	}
	s.vals[0], s.idx[0] = v, i
	for p := 0; ; {
		w := p
		for _, c := range [2]int{2*p + 1, 2*p + 2} {
			if c < len(s.vals) && s.worse(c, w) {
				w = c
			}
		}
		if w == p {
			return
		}
		s.swap(p, w)
		p = w
	}
}

func (s *selector) swap(a, b int) {
	s.vals[a], s.vals[b] = s.vals[b], s.vals[a]
	s.idx[a], s.idx[b] = s.idx[b], s.idx[a]
}

// sorted writes the kept candidates best first.
func (s *selector) sorted(vals []float32, idx []int64) {
	p := make([]int, len(s.vals))
	for i := range p {
		p[i] = i
	}
	sort.Slice(p, func(a, b int) bool {
		return s.o.ahead(s.vals[p[a]], s.idx[p[a]], s.vals[p[b]], s.idx[p[b]])
	})
	for r, i := range p {
		vals[r], idx[r] = s.vals[i], s.idx[i]
	}
}

func putIndices(b []byte, off int, idx []int64) {
	for i, v := range idx {
		binary.LittleEndian.PutUint64(b[8*(off+i):], uint64(v))
	}
}

// topkKernel selects along the last axis. Rows run in parallel; a single
// long row is split among the workers, whose selections are merged.
func topkKernel(c *Backend, s *engine.Step, in, out []arg) error {
	x := in[0]
	n := x.Shape[len(x.Shape)-1]
	rows := x.Shape.Size() / n
	k := s.Attrs.K
	o := order{s.Attrs.Largest}
	vals := f32(out[0].b)
	if rows >= c.workers || n < 1<<15 {
		c.parallelFor(rows, 1, func(lo, hi int) {
			scratch := make([]float32, n)
			idx := make([]int64, k)
			for r := lo; r < hi; r++ {
				row := load(x.DType, x.b, r*n, n, scratch)
				sel := newSelector(o, k)
				for i, v := range row {
					sel.push(v, int64(i))
				}
				sel.sorted(vals[r*k:(r+1)*k], idx)
				putIndices(out[1].b, r*k, idx)
			}
		})
		return nil
	}
	for r := range rows {
		sels := make([]*selector, c.workers)
		used := c.parallelWorkers(n, 1<<14, func(w, lo, hi int) {
			sel := newSelector(o, k)
			row := load(x.DType, x.b, r*n+lo, hi-lo, make([]float32, hi-lo))
			for i, v := range row {
				sel.push(v, int64(lo+i))
			}
			sels[w] = sel
		})
		merged := newSelector(o, k)
		for _, sel := range sels[:used] {
			for i := range sel.vals {
				merged.push(sel.vals[i], sel.idx[i])
			}
		}
		idx := make([]int64, k)
		merged.sorted(vals[r*k:(r+1)*k], idx)
		putIndices(out[1].b, r*k, idx)
	}
	return nil
}

// scanKernel is the fused search: the stored rows x [n, d] are split among
// the workers; each reads its rows once, scores them against every query
// and keeps a selection per query; the selections are merged at the end.
// No [m, n] score matrix exists at any time.
func scanKernel(c *Backend, s *engine.Step, in, out []arg) error {
	a := s.Attrs
	q, x := in[0], in[1]
	m, d := q.Shape[0], q.Shape[1]
	n := x.Shape[0]
	var scales []float32
	if a.Quantize {
		scales = f32(in[2].b)
	}
	Q, _, _ := c.rowsOf(q, false, a.NormA && a.Metric == engine.MetricDot, nil)
	o := order{a.Largest}
	const block = 64 // rows converted at a time
	sels := make([][]*selector, c.workers)
	used := c.parallelWorkers(n, 256, func(w, lo, hi int) {
		mine := make([]*selector, m)
		for i := range mine {
			mine[i] = newSelector(o, a.K)
		}
		scratch := make([]float32, block*d)
		for r0 := lo; r0 < hi; r0 += block {
			r1 := min(r0+block, hi)
			rows := load(x.DType, x.b, r0*d, (r1-r0)*d, scratch)
			for r := r0; r < r1; r++ {
				row := rows[(r-r0)*d : (r-r0+1)*d]
				f := float32(1)
				if scales != nil {
					f = scales[r]
				}
				if a.Metric == engine.MetricL2 {
					if scales != nil {
						for j := range row {
							row[j] *= f
						}
					}
					for i := range m {
						mine[i].push(sqDist(Q[i*d:(i+1)*d], row), int64(r))
					}
					continue
				}
				if a.NormB {
					if scales != nil {
						f *= invNormScaled(row, f)
					} else {
						f *= invNorm(row)
					}
				}
				for i := range m {
					mine[i].push(dot(Q[i*d:(i+1)*d], row)*f, int64(r))
				}
			}
		}
		sels[w] = mine
	})
	vals := f32(out[0].b)
	idx := make([]int64, a.K)
	for i := range m {
		merged := newSelector(o, a.K)
		for _, mine := range sels[:used] {
			for j := range mine[i].vals {
				merged.push(mine[i].vals[j], mine[i].idx[j])
			}
		}
		merged.sorted(vals[i*a.K:(i+1)*a.K], idx)
		putIndices(out[1].b, i*a.K, idx)
	}
	return nil
}

// invNormScaled is 1/max(||scale*x||, NormEps) for an int8 row x.
func invNormScaled(x []float32, scale float32) float32 {
	var ss float64
	for _, v := range x {
		ss += float64(v) * float64(v)
	}
	n := float64(scale) * math.Sqrt(ss)
	return float32(1 / max(n, NormEps))
}
