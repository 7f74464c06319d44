package cpu

import "sort"

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

// offer is push with the common case inlined: once k candidates are kept,
// one that does not beat the worst of them is dropped without a call.
func (s *selector) offer(v float32, i int64) {
	if len(s.vals) == s.k && !s.o.ahead(v, i, s.vals[0], s.idx[0]) {
		return
	}
	s.push(v, i)
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
