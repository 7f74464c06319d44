package store

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	_ "github.com/silica-go/silica/cpu"
	"github.com/silica-go/silica/engine"
)

// Tolerances of a score against the float64 reference, relative to the
// product of the norms of the query and the row.
var scoreTol = map[engine.DType]float64{engine.Float32: 1e-5, engine.Float16: 2e-3, engine.Int8: 2e-2}

var allMetrics = []Metric{Cosine, Dot, L2}
var allDTypes = []engine.DType{engine.Float32, engine.Float16, engine.Int8}

// randVectors returns n random vectors of dimension d with entries of
// assorted magnitudes (normal, times a per-row scale in [0.5, 2)).
func randVectors(r *rand.Rand, n, d int) [][]float32 {
	out := make([][]float32, n)
	for i := range out {
		v := make([]float32, d)
		s := 0.5 + 1.5*r.Float64()
		for j := range v {
			v[j] = float32(r.NormFloat64() * s)
		}
		out[i] = v
	}
	return out
}

// randIDs returns n distinct ids spread over a range larger than n, in
// random order.
func randIDs(r *rand.Rand, n int) []int64 {
	seen := map[int64]bool{}
	ids := make([]int64, 0, n)
	for len(ids) < n {
		id := r.Int64N(int64(10*n + 10))
		if !seen[id] {
			seen[id] = true
			ids = append(ids, id)
		}
	}
	return ids
}

// refScore is the float64 score of query q against row x under m.
func refScore(m Metric, q, x []float32) float64 {
	var dot, qq, xx, l2 float64
	for i := range q {
		a, b := float64(q[i]), float64(x[i])
		dot += a * b
		qq += a * a
		xx += b * b
		l2 += (a - b) * (a - b)
	}
	switch m {
	case Cosine:
		return dot / math.Sqrt(qq*xx)
	case Dot:
		return dot
	}
	return l2
}

// scale is the magnitude a score's error is relative to.
func scale(m Metric, q, x []float32) float64 {
	if m == Cosine {
		return 1
	}
	var qq, xx float64
	for i := range q {
		qq += float64(q[i]) * float64(q[i])
		xx += float64(x[i]) * float64(x[i])
	}
	if m == L2 {
		return qq + xx
	}
	return math.Sqrt(qq * xx)
}

// model is what the test believes the store holds: id -> the vector
// added (before any rounding by the store).
type model map[int64][]float32

// ids returns the model's ids, ascending.
// del deletes ids from s and from the model m.
func (m model) del(t *testing.T, s *Store, ids ...int64) {
	t.Helper()
	if _, err := s.Delete(ids...); err != nil {
		t.Fatal(err)
	}
	for _, id := range ids {
		delete(m, id)
	}
}

func (m model) ids() []int64 {
	ids := make([]int64, 0, len(m))
	for id := range m {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return ids
}

// checkHits compares hits for query q against the float64 reference over
// the ids of want that pass allow (nil: all): the right number of hits,
// each score close to its reference, best first with ties by id, and no
// id left out that scores better than the last one returned by more than
// the tolerance (ties and near ties at the boundary are accepted, as
// FAISS's tests do).
func checkHits(t *testing.T, what string, m Metric, dt engine.DType, want model, allow func(int64) bool, q []float32, k int, hits []Hit) {
	t.Helper()
	type cand struct {
		id       int64
		ref, tol float64
		returned bool
	}
	var cands []cand
	byID := map[int64]int{}
	for id, x := range want {
		if allow != nil && !allow(id) {
			continue
		}
		byID[id] = len(cands)
		cands = append(cands, cand{id: id, ref: refScore(m, q, x), tol: scoreTol[dt] * scale(m, q, x)})
	}
	if wantN := min(k, len(cands)); len(hits) != wantN {
		t.Fatalf("%s: %d hits, want %d (k=%d, %d candidates)", what, len(hits), wantN, k, len(cands))
	}
	better := func(a, b float64) bool { return (a > b) == m.larger() && a != b }
	for i, h := range hits {
		c, ok := byID[h.ID]
		if !ok {
			t.Fatalf("%s: hit %d has id %d, which is not a candidate", what, i, h.ID)
		}
		if cands[c].returned {
			t.Fatalf("%s: id %d returned twice", what, h.ID)
		}
		cands[c].returned = true
		if d := math.Abs(float64(h.Score) - cands[c].ref); d > cands[c].tol {
			t.Fatalf("%s: hit %d id %d score %v, reference %v (off by %g > %g)", what, i, h.ID, h.Score, cands[c].ref, d, cands[c].tol)
		}
		if i > 0 {
			p := hits[i-1]
			if better(float64(h.Score), float64(p.Score)) || (h.Score == p.Score && h.ID < p.ID) {
				t.Fatalf("%s: hits %d and %d out of order: %+v then %+v", what, i-1, i, p, h)
			}
		}
	}
	if len(hits) == 0 {
		return
	}
	last := hits[len(hits)-1]
	lastRef := cands[byID[last.ID]]
	for _, c := range cands {
		if !c.returned && better(c.ref, lastRef.ref) && math.Abs(c.ref-lastRef.ref) > c.tol+lastRef.tol {
			t.Fatalf("%s: id %d (reference %v) left out, but the last hit id %d scores %v", what, c.id, c.ref, last.ID, lastRef.ref)
		}
	}
}

// refTop returns the ids of the reference top k over want (by the float64
// scores, ties by id).
func refTop(m Metric, want model, q []float32, k int) []int64 {
	type sc struct {
		id int64
		s  float64
	}
	var all []sc
	for id, x := range want {
		all = append(all, sc{id, refScore(m, q, x)})
	}
	slices.SortFunc(all, func(a, b sc) int {
		if a.s != b.s {
			if (a.s > b.s) == m.larger() {
				return -1
			}
			return 1
		}
		return cmpID(a.id, b.id)
	})
	ids := make([]int64, 0, k)
	for _, a := range all[:min(k, len(all))] {
		ids = append(ids, a.id)
	}
	return ids
}

func newStore(t *testing.T, o Options) *Store {
	t.Helper()
	if o.Backend == "" && o.Engine == nil {
		o.Backend = "cpu"
	}
	s, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}
