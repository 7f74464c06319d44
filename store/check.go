package store

import (
	"fmt"
	"math"
	"sync"

	"github.com/silica-go/silica/engine"
	"github.com/silica-go/silica/half"
	"github.com/silica-go/silica/internal/par"
)

// checkVectors validates vectors before anything is changed: each has the
// store's dimension and finite values, none is zero under Cosine, and with
// float16 storage none overflows float16 (under Cosine rows and queries
// are scaled first, so only the other metrics can overflow). ids, if
// given, name the vectors in messages. what is "vector" or "query".
func (s *Store) checkVectors(op, what string, vectors [][]float32, ids []int64) error {
	name := func(i int) string {
		if ids != nil {
			return fmt.Sprintf("%s %d (id %d)", what, i, ids[i])
		}
		return fmt.Sprintf("%s %d", what, i)
	}
	f16 := s.cfg.dtype == engine.Float16 && s.cfg.metric != Cosine
	for i, v := range vectors {
		if len(v) != s.cfg.dim {
			return fmt.Errorf("store: %s: %s has %d values; the store's dimension is %d", op, name(i), len(v), s.cfg.dim)
		}
	}
	// One unrolled pass a row, split over the cores, finds the first bad
	// row; only that row is walked again for the index the error names.
	first := len(vectors) // the first bad row; none
	var mu sync.Mutex
	par.Rows(len(vectors), s.cfg.dim, func(lo, hi int) {
		for i := lo; i < hi; i++ {
			m, _, finite := maxAbsSquares(vectors[i])
			if !finite || f16 && math.IsInf(float64(half.Round16(m)), 0) || m == 0 && s.cfg.metric == Cosine {
				mu.Lock()
				first = min(first, i)
				mu.Unlock()
				return
			}
		}
	})
	if first == len(vectors) {
		return nil
	}
	i, v := first, vectors[first]
	for j, x := range v {
		if math.IsNaN(float64(x)) || math.IsInf(float64(x), 0) {
			return fmt.Errorf("store: %s: %s has %v at index %d; values must be finite", op, name(i), x, j)
		}
		if f16 && math.IsInf(float64(half.Round16(x)), 0) {
			return fmt.Errorf("store: %s: %s has %v at index %d, beyond float16's range (±65504)", op, name(i), x, j)
		}
	}
	return fmt.Errorf("store: %s: %s is all zeros; cosine similarity needs a nonzero vector", op, name(i))
}

// checkK validates a search's k.
func checkK(op string, k int) error {
	if k <= 0 {
		return fmt.Errorf("store: %s: k = %d; want k >= 1", op, k)
	}
	return nil
}

// flatten copies vectors (picked in the order given) into one row-major
// slice. Under Cosine a row whose largest magnitude is outside
// [1e-6, 1e15] is divided by it (that changes no cosine): then every norm
// is at least 1e-6, so the engine's Normalize (which divides by
// max(norm, 1e-12)) yields a unit row, and sums of squares cannot
// overflow float32. Queries of a float16 store are always scaled so, to
// fit float16's range. Other rows are copied as they are.
func (s *Store) flatten(vectors [][]float32, order []int, queries bool) []float32 {
	return s.flattenInto(make([]float32, len(order)*s.cfg.dim), vectors, order, queries)
}

// flattenInto is flatten into flat (len(order) rows).
func (s *Store) flattenInto(flat []float32, vectors [][]float32, order []int, queries bool) []float32 {
	d := s.cfg.dim
	always := queries && s.cfg.dtype == engine.Float16
	par.Rows(len(order), d, func(lo, hi int) {
		for j := lo; j < hi; j++ {
			s.scaleRow(flat[j*d:(j+1)*d], vectors[order[j]], always)
		}
	})
	return flat
}

// scaleRow copies v into row, scaled as flatten scales it (always: a
// float16 store's query).
func (s *Store) scaleRow(row, v []float32, always bool) {
	if s.cfg.metric != Cosine {
		copy(row, v)
		return
	}
	m, _, _ := maxAbsSquares(v) // finite: checked before
	switch {
	case m < 1e-6 || m > 1e15:
		for c, x := range v {
			row[c] = x / m
		}
	case always: // into float16's range; a product, as 1/m is finite here
		scaleInto(row, v, 1/m)
	default:
		copy(row, v)
	}
}

// identity returns 0, 1, ..., n-1.
func identity(n int) []int {
	p := make([]int, n)
	for i := range p {
		p[i] = i
	}
	return p
}
