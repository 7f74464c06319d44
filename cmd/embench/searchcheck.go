package main

import (
	"fmt"
	"math"
	"slices"
	"sync"

	"github.com/silica-go/silica/engine"
	"github.com/silica-go/silica/store"
)

// scorer computes exact (float64) search scores over the stored rows: the
// host data rounded to the storage dtype and, under cosine, normalized.
type scorer struct {
	data    *tensor
	dt      engine.DType
	metric  store.Metric
	maxNorm float64 // the largest norm of a stored row (before normalizing)
}

func newScorer(data *tensor, dt engine.DType, metric store.Metric) *scorer {
	s := &scorer{data: data, dt: dt, metric: metric}
	var mu sync.Mutex
	d := data.cols()
	parallelChunks(data.rows(), func(_, lo, hi int) {
		buf := make([]float64, d)
		m := 0.0
		for i := lo; i < hi; i++ {
			m = max(m, norm64(s.raw(i, buf)))
		}
		mu.Lock()
		s.maxNorm = max(s.maxNorm, m)
		mu.Unlock()
	})
	return s
}

// raw returns row i as stored in dt, before any normalizing.
func (s *scorer) raw(i int, buf []float64) []float64 {
	d := s.data.cols()
	row := s.data.F32[i*d : (i+1)*d]
	if s.dt == engine.Float32 {
		for j, v := range row {
			buf[j] = float64(v)
		}
		return buf
	}
	for j, v := range rounded(row, s.dt) {
		buf[j] = float64(v)
	}
	return buf
}

// row returns stored row i as the store keeps it: normalized under cosine.
func (s *scorer) row(i int, buf []float64) []float64 {
	r := s.raw(i, buf)
	if s.metric == store.Cosine {
		n := max(norm64(r), 1e-12)
		for j := range r {
			r[j] /= n
		}
	}
	return r
}

// query returns q in float64, normalized under cosine.
func (s *scorer) query(q []float32) []float64 {
	out := make([]float64, len(q))
	for j, v := range q {
		out[j] = float64(v)
	}
	if s.metric == store.Cosine {
		n := max(norm64(out), 1e-12)
		for j := range out {
			out[j] /= n
		}
	}
	return out
}

// score returns the metric between query q (from query) and stored row i.
func (s *scorer) score(q []float64, i int, buf []float64) float64 {
	r := s.row(i, buf)
	var sum float64
	if s.metric == store.L2 {
		for j := range q {
			d := q[j] - r[j]
			sum += d * d
		}
		return sum
	}
	for j := range q {
		sum += q[j] * r[j]
	}
	return sum
}

// largest reports whether larger scores are better.
func (s *scorer) largest() bool { return s.metric != store.L2 }

// scale returns the magnitude a score of q can reach, which tolerances
// are relative to.
func (s *scorer) scale(q []float64) float64 {
	switch s.metric {
	case store.Cosine:
		return 1
	case store.Dot:
		return norm64(q) * s.maxNorm
	}
	r := norm64(q) + s.maxNorm
	return r * r
}

// topK returns the k best exact scores of query q over every stored row,
// best first.
func (s *scorer) topK(q []float32, k int) []float32 {
	qq := s.query(q)
	scores := make([]float64, s.data.rows())
	parallelChunks(len(scores), func(_, lo, hi int) {
		buf := make([]float64, s.data.cols())
		for i := lo; i < hi; i++ {
			scores[i] = s.score(qq, i, buf)
		}
	})
	slices.Sort(scores)
	if s.largest() {
		slices.Reverse(scores)
	}
	out := make([]float32, k)
	for i := range out {
		out[i] = float32(scores[i])
	}
	return out
}

// searchCheck checks search results out = [values [m, k], indices [m, k]]
// for queries first.. first+m-1 of queries: every index in range and
// distinct, every value the exact score of its index, values in order;
// and where expect has the query's k best scores (from the reference),
// the values equal to them. Ties and near-ties (within the tolerance) may
// come in any order and either of two tied rows may be returned, as FAISS's
// tests accept.
func searchCheck(s *scorer, out []tensor, queries *tensor, first int, expect [][]float32, dt engine.DType, k int) error {
	vals, idx := out[0].F32, out[1].I64
	m, d, n := out[0].rows(), queries.cols(), s.data.rows()
	buf := make([]float64, d)
	bad, firstErr := 0, error(nil)
	fail := func(err error) {
		if bad == 0 {
			firstErr = err
		}
		bad++
	}
	for r := range m {
		q := s.query(queries.F32[(first+r)*d : (first+r+1)*d])
		eps := tolScore(dt) * s.scale(q)
		v, ix := vals[r*k:(r+1)*k], idx[r*k:(r+1)*k]
		seen := map[int64]bool{}
		for j := range k {
			i := ix[j]
			if i < 0 || i >= int64(n) || seen[i] {
				fail(fmt.Errorf("query %d, result %d: index %d is out of [0, %d) or repeated", first+r, j, i, n))
				break
			}
			seen[i] = true
			if exact := s.score(q, int(i), buf); !(math.Abs(float64(v[j])-exact) <= eps) {
				fail(fmt.Errorf("query %d, result %d: row %d has score %g, reported %g (tolerance %.3g)", first+r, j, i, exact, v[j], eps))
				break
			}
			if j > 0 && ((s.largest() && float64(v[j]) > float64(v[j-1])+eps) || (!s.largest() && float64(v[j]) < float64(v[j-1])-eps)) {
				fail(fmt.Errorf("query %d: results %d and %d out of order (%g then %g)", first+r, j-1, j, v[j-1], v[j]))
				break
			}
			if r < len(expect) && expect[r] != nil && !(math.Abs(float64(v[j])-float64(expect[r][j])) <= eps) {
				fail(fmt.Errorf("query %d: result %d scores %g, but the reference's %d-th best scores %g (tolerance %.3g): a better row was missed",
					first+r, j, v[j], j+1, expect[r][j], eps))
				break
			}
		}
	}
	if bad > 0 {
		return fmt.Errorf("%d of %d queries wrong; first: %w", bad, m, firstErr)
	}
	return nil
}

func norm64(x []float64) float64 {
	var s float64
	for _, v := range x {
		s += v * v
	}
	return math.Sqrt(s)
}
