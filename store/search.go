package store

import (
	"fmt"
	"math"
	"slices"
	"sort"

	"github.com/silica-go/silica/engine"
)

// Hit is one search result: a stored id and its score (cosine similarity,
// inner product, or squared L2 distance, as the store's metric says).
type Hit struct {
	ID    int64
	Score float32
}

// Search returns the k vectors closest to query (length Dim), best first
// (largest score for Cosine and Dot, smallest for L2), ties broken by the
// smaller id. Any k >= 1 is allowed: with k above Len all vectors come
// back. A query of the wrong length, with NaN or Inf, all zeros under
// Cosine, or k < 1 is an error.
func (s *Store) Search(query []float32, k int) ([]Hit, error) {
	return first(s.SearchBatchFiltered([][]float32{query}, k, Filter{}))
}

// SearchFiltered is Search over the ids that pass f (see Filter).
func (s *Store) SearchFiltered(query []float32, k int, f Filter) ([]Hit, error) {
	return first(s.SearchBatchFiltered([][]float32{query}, k, f))
}

// first returns the hits of the only query of a batch.
func first(h [][]Hit, err error) ([]Hit, error) {
	if err != nil {
		return nil, err
	}
	return h[0], nil
}

// SearchBatch is Search for many queries in one engine submission:
// result i holds the hits of queries[i].
func (s *Store) SearchBatch(queries [][]float32, k int) ([][]Hit, error) {
	return s.SearchBatchFiltered(queries, k, Filter{})
}

// SearchBatchFiltered is SearchBatch over the ids that pass f.
func (s *Store) SearchBatchFiltered(queries [][]float32, k int, f Filter) ([][]Hit, error) {
	if err := checkK("search", k); err != nil {
		return nil, err
	}
	if err := s.checkVectors("search", "query", queries, nil); err != nil {
		return nil, err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.closed {
		return nil, ErrClosed
	}
	return s.scan(queries, k, f)
}

// SearchRange returns every vector within bound of query, best first:
// under Cosine and Dot those scoring at least bound, under L2 those at
// squared distance at most bound. It runs top-k scans with k growing
// fourfold until the k-th hit falls outside the bound. A NaN or infinite
// bound is an error, as are the query errors of Search.
func (s *Store) SearchRange(query []float32, bound float32) ([]Hit, error) {
	if math.IsNaN(float64(bound)) || math.IsInf(float64(bound), 0) {
		return nil, fmt.Errorf("store: range search: bound %v; want a finite number", bound)
	}
	if err := s.checkVectors("range search", "query", [][]float32{query}, nil); err != nil {
		return nil, err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.closed {
		return nil, ErrClosed
	}
	inside := func(h Hit) bool {
		if s.cfg.metric.larger() {
			return h.Score >= bound
		}
		return h.Score <= bound
	}
	for k := min(s.live, 64); ; k = min(4*k, s.live) {
		if k == 0 {
			return []Hit{}, nil
		}
		res, err := s.scan([][]float32{query}, k, Filter{})
		if err != nil {
			return nil, err
		}
		hits := res[0]
		if k == s.live || !inside(hits[len(hits)-1]) {
			return hits[:sort.Search(len(hits), func(i int) bool { return !inside(hits[i]) })], nil
		}
	}
}

// part is the scan of one segment within a search.
type part struct {
	g     *segment
	mask  []bool  // rows that may be returned; nil: the live rows
	rows  []int64 // the rows scanned when gathered; nil: all of g
	k     int     // results asked of the scan per query
	vals  *engine.Array
	index *engine.Array
}

// passes reports whether row r of the segment may be returned.
func (p *part) passes(r int) bool {
	if p.mask != nil {
		return p.mask[r]
	}
	return !p.g.isDead(r)
}

// scan searches with s.mu held for reading. Each segment is one top-k
// scan, all of them in one Eval (one submission to the backend), and the
// per-segment results are merged on the host by id.
func (s *Store) scan(queries [][]float32, k int, f Filter) ([][]Hit, error) {
	res := make([][]Hit, len(queries))
	for i := range res {
		res[i] = []Hit{}
	}
	if len(queries) == 0 || s.live == 0 {
		return res, nil
	}
	sp, err := s.plan(queries, k, f)
	defer sp.free()
	if err != nil {
		return nil, opErr(err, "search")
	}
	if len(sp.outs) == 0 {
		return res, nil
	}
	if err := s.e.Eval(sp.outs...); err != nil {
		return nil, opErr(err, "search")
	}
	cands := make([][]Hit, len(queries))
	for _, p := range sp.parts {
		vals, err := p.vals.Float32()
		if err != nil {
			return nil, opErr(err, "search")
		}
		index, err := p.index.Int64()
		if err != nil {
			return nil, opErr(err, "search")
		}
		for i := range queries {
			for j := i * p.k; j < (i+1)*p.k; j++ {
				r := int(index[j])
				if p.rows != nil {
					r = int(p.rows[r])
				}
				if p.passes(r) {
					cands[i] = append(cands[i], Hit{p.g.ids[r], vals[j]})
				}
			}
		}
	}
	for i, c := range cands {
		slices.SortFunc(c, s.compareHits)
		if len(c) > 0 {
			res[i] = c[:min(k, len(c))]
		}
	}
	return res, nil
}

// searchPlan is the lazy graph of one search: a top-k scan per segment.
type searchPlan struct {
	parts []*part
	outs  []*engine.Array // the values and indices of every part
	temps []*engine.Array // arrays to free after the search
}

func (sp *searchPlan) free() {
	for _, a := range sp.temps {
		a.Free()
	}
}

// plan builds the search graph. A segment with few rows excluded (deleted
// or filtered out: at most 1/deadShare of it) is scanned whole for k plus
// that many results, the excluded ones dropped afterwards; one with more
// has its passing rows gathered and scanned. Either way k hits come back
// when k pass, and the scan never writes the full score matrix.
func (s *Store) plan(queries [][]float32, k int, f Filter) (*searchPlan, error) {
	sp := &searchPlan{}
	q, err := s.uploadQueries(queries)
	if err != nil {
		return sp, err
	}
	sp.temps = append(sp.temps, q)
	for _, g := range s.segs {
		p := &part{g: g}
		var passing int
		p.mask, passing = f.mask(g)
		if passing == 0 {
			continue
		}
		x, sc := g.x, g.scales
		excluded := g.n() - passing
		p.k = min(g.n(), k)
		if p.k < g.n() {
			p.k = min(g.n(), k+excluded)
		}
		if excluded*deadShare > g.n() {
			p.rows = make([]int64, 0, passing)
			for r := range g.ids {
				if p.passes(r) {
					p.rows = append(p.rows, int64(r))
				}
			}
			idx, err := s.e.FromInt64(p.rows, passing)
			if err != nil {
				return sp, err
			}
			sp.temps = append(sp.temps, idx)
			if x, err = engine.Gather(x, idx); err != nil {
				return sp, err
			}
			if sc != nil {
				if sc, err = engine.Gather(sc, idx); err != nil {
					return sp, err
				}
			}
			p.k = min(passing, k)
		}
		scores, err := s.scores(q, x, sc)
		if err != nil {
			return sp, err
		}
		if p.vals, p.index, err = engine.TopK(scores, p.k, s.cfg.metric.larger()); err != nil {
			return sp, err
		}
		sp.temps = append(sp.temps, p.vals, p.index)
		sp.outs = append(sp.outs, p.vals, p.index)
		sp.parts = append(sp.parts, p)
	}
	return sp, nil
}

// compareHits orders hits best first, ties by the smaller id, NaN last.
func (s *Store) compareHits(a, b Hit) int {
	an, bn := a.Score != a.Score, b.Score != b.Score
	switch {
	case an != bn:
		if an {
			return 1
		}
		return -1
	case !an && a.Score != b.Score:
		if (a.Score > b.Score) == s.cfg.metric.larger() {
			return -1
		}
		return 1
	}
	return cmpID(a.ID, b.ID)
}

// uploadQueries makes the [m, dim] query array in the dtype the scan
// wants: the storage dtype for float16, float32 otherwise (int8 rows are
// dequantized to float32 inside the scan). Under Cosine each query is
// scaled by its largest magnitude first (see flatten).
func (s *Store) uploadQueries(queries [][]float32) (*engine.Array, error) {
	flat := s.flatten(queries, identity(len(queries)), true)
	dt := engine.Float32
	if s.cfg.dtype == engine.Float16 {
		dt = engine.Float16
	}
	q, err := s.e.FromFloat32As(flat, dt, len(queries), s.cfg.dim)
	if err != nil {
		return nil, opErr(err, "search: upload queries")
	}
	return q, nil
}

// scores builds the [m, n] scores of the queries against rows x (with
// scales sc for int8), which the scheduler fuses with the top-k into one
// scan: a matmul with the rows transposed (Cosine normalizes the queries
// inside it; the rows are unit already), or the L2 distance.
func (s *Store) scores(q, x, sc *engine.Array) (*engine.Array, error) {
	var err error
	if sc != nil {
		if x, err = engine.Dequantize(x, sc); err != nil {
			return nil, err
		}
	}
	metric, normalize := s.cfg.metric.scan()
	if normalize {
		// A Normalize per scan, so that each scan absorbs its own.
		if q, err = engine.Normalize(q); err != nil {
			return nil, err
		}
	}
	if metric == engine.MetricL2 {
		return engine.L2Distance(q, x)
	}
	return engine.MatMul(q, x, false, true)
}
