package silicaindex

import (
	"context"
	"fmt"
	"math"

	"github.com/weaviate/weaviate/adapters/repos/db/helpers"

	"github.com/silica-go/silica/store"
)

// distanceSlack is how far past a distance bound a result may be and still
// count as within it, as Weaviate's flat index decides (floatcomp.InDelta
// with 1e-6).
const distanceSlack = 1e-6

// distance converts a store score to Weaviate's distance for the metric:
// cosine-dot 1 - cos, dot -dot, l2-squared the squared distance itself.
func (ix *Index) distance(score float32) float32 {
	switch ix.metric {
	case store.Cosine:
		return 1 - score
	case store.Dot:
		return -score
	}
	return score
}

// scoreBound is the store's score bound of a distance bound, loosened by
// twice the slack; within (below) keeps the exact decision.
func (ix *Index) scoreBound(dist float32) float32 {
	d := float64(dist) + 2*distanceSlack
	switch ix.metric {
	case store.Cosine:
		return float32(1 - d)
	case store.Dot:
		return float32(-d)
	}
	return float32(d)
}

// within reports whether a distance is within the bound, as Weaviate's flat
// index decides: at most the bound, or within 1e-6 of it.
func within(dist, bound float32) bool {
	return dist <= bound || math.Abs(float64(dist)-float64(bound)) <= distanceSlack
}

// filter turns Weaviate's allow list into the store's filter; ok is false
// when nothing can pass (a non-nil empty list).
func filter(allow helpers.AllowList) (f store.Filter, ok bool) {
	if allow == nil {
		return store.Filter{}, true
	}
	if allow.IsEmpty() {
		return store.Filter{}, false
	}
	ids := make([]int64, 0, allow.Len())
	it := allow.Iterator()
	defer it.Stop()
	for id, more := it.Next(); more; id, more = it.Next() {
		if id <= math.MaxInt64 {
			ids = append(ids, int64(id))
		}
	}
	if len(ids) == 0 {
		return store.Filter{}, false
	}
	return store.AllowIDs(ids...), true
}

// results converts hits to Weaviate's doc ids and distances.
func (ix *Index) results(hits []store.Hit) ([]uint64, []float32) {
	ids := make([]uint64, len(hits))
	dists := make([]float32, len(hits))
	for i, h := range hits {
		ids[i] = uint64(h.ID)
		dists[i] = ix.distance(h.Score)
	}
	return ids, dists
}

// reader returns the store for a search, with ix.mu held for reading until
// the returned function is called; st is nil when the index is empty.
func (ix *Index) reader() (st *store.Store, done func(), err error) {
	ix.load()
	ix.mu.RLock()
	st, err = ix.current()
	if err != nil {
		ix.mu.RUnlock()
		return nil, nil, err
	}
	return st, ix.mu.RUnlock, nil
}

// SearchByVector returns the k doc ids closest to vector among those allow
// passes (nil: all), closest first, with their distances.
func (ix *Index) SearchByVector(ctx context.Context, vector []float32, k int, allow helpers.AllowList) ([]uint64, []float32, error) {
	if err := ctx.Err(); err != nil {
		return nil, nil, err
	}
	st, done, err := ix.reader()
	if err != nil {
		return nil, nil, err
	}
	defer done()
	f, ok := filter(allow)
	if st == nil || !ok || k <= 0 {
		return []uint64{}, []float32{}, nil
	}
	if len(vector) != st.Dim() {
		return nil, nil, fmt.Errorf("silica vector index %q: query of dimension %d; the index holds dimension %d", ix.id, len(vector), st.Dim())
	}
	hits, err := st.SearchFiltered(vector, k, f)
	if err != nil {
		return nil, nil, fmt.Errorf("silica vector index %q: %w", ix.id, err)
	}
	ids, dists := ix.results(hits)
	return ids, dists, nil
}

// SearchByVectorDistance returns every doc id allow passes (nil: all) whose
// distance to vector is within dist (see within), closest first, at most
// maxLimit of them when maxLimit is positive.
func (ix *Index) SearchByVectorDistance(ctx context.Context, vector []float32, dist float32, maxLimit int64, allow helpers.AllowList) ([]uint64, []float32, error) {
	if err := ctx.Err(); err != nil {
		return nil, nil, err
	}
	if math.IsNaN(float64(dist)) || math.IsInf(float64(dist), 0) {
		return nil, nil, fmt.Errorf("silica vector index %q: distance bound %v; want a finite number", ix.id, dist)
	}
	st, done, err := ix.reader()
	if err != nil {
		return nil, nil, err
	}
	defer done()
	f, ok := filter(allow)
	if st == nil || !ok {
		return []uint64{}, []float32{}, nil
	}
	if len(vector) != st.Dim() {
		return nil, nil, fmt.Errorf("silica vector index %q: query of dimension %d; the index holds dimension %d", ix.id, len(vector), st.Dim())
	}
	var hits []store.Hit
	if allow == nil {
		hits, err = st.SearchRange(vector, ix.scoreBound(dist))
	} else {
		hits, err = ix.rangeFiltered(st, vector, dist, f)
	}
	if err != nil {
		return nil, nil, fmt.Errorf("silica vector index %q: %w", ix.id, err)
	}
	ids, dists := ix.results(hits)
	n := 0
	for n < len(dists) && within(dists[n], dist) {
		n++
	}
	if maxLimit > 0 && int64(n) > maxLimit {
		n = int(maxLimit)
	}
	return ids[:n], dists[:n], nil
}

// rangeFiltered is a filtered range search: top-k searches with k growing
// fourfold from 64 until fewer than k hits pass or the k-th is outside the
// bound (the store's SearchRange takes no filter).
func (ix *Index) rangeFiltered(st *store.Store, vector []float32, dist float32, f store.Filter) ([]store.Hit, error) {
	for k := 64; ; k *= 4 {
		hits, err := st.SearchFiltered(vector, k, f)
		if err != nil {
			return nil, err
		}
		if len(hits) < k || !within(ix.distance(hits[len(hits)-1].Score), dist) {
			return hits, nil
		}
		if k >= st.Len() {
			return hits, nil
		}
	}
}
