package store

import (
	"slices"
	"sync"
)

// scanShards is scan for a sharded store, with s.mu held for reading:
// every shard's scan runs at once, each in its goroutine and as one
// submission to its engine (a shard's arenas are scanned together), and
// each returns its exact top k per query, ordered as the store orders
// hits. The merge runs on the host: it reads k candidates per query from
// each shard (no score matrix moves) and keeps the best k, ties by the
// smaller id, NaN last. Since every row is in exactly one shard and each
// shard's hits are its exact best, the result is the unsharded store's,
// hit for hit.
//
// A Where filter's predicate is called from each shard's goroutine, one
// call at a time.
func (s *Store) scanShards(queries [][]float32, k int, f Filter) ([][]Hit, error) {
	if f.where != nil {
		var mu sync.Mutex
		pred := f.where
		f.where = func(id int64) bool {
			mu.Lock()
			defer mu.Unlock()
			return pred(id)
		}
	}
	hits := make([][][]Hit, len(s.shards))
	errs := make([]error, len(s.shards))
	var wg sync.WaitGroup
	for j, sh := range s.shards {
		wg.Go(func() {
			sh.mu.RLock()
			defer sh.mu.RUnlock()
			hits[j], errs[j] = sh.scan(queries, k, f)
		})
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	res := make([][]Hit, len(queries))
	for i := range res {
		c := []Hit{}
		for _, h := range hits {
			c = append(c, h[i]...)
		}
		slices.SortFunc(c, s.compareHits)
		res[i] = c[:min(k, len(c)):min(k, len(c))]
	}
	return res, nil
}
