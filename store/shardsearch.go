package store

import (
	"slices"
	"sync"
)

// scanShards is scan for a sharded store, with s.mu held for reading.
// The shards of each device are scanned together, as the arenas of one
// store are: one Eval (one submission to the device) a round, in a
// goroutine per device, all devices at once. Each device returns its
// exact top k per query, ordered as the store orders hits; the host
// merges them: it reads k candidates per query from each device (no
// score matrix moves) and keeps the best k, ties by the smaller id, NaN
// last. Every row is in exactly one shard and each device's hits are
// its exact best, so the result is the unsharded store's, hit for hit.
//
// A Where filter's predicate is called from each device's goroutine, one
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
	devices := byEngine(s.shards)
	hits := make([][][]Hit, len(devices))
	errs := make([]error, len(devices))
	var wg sync.WaitGroup
	for j, shards := range devices {
		wg.Go(func() { hits[j], errs[j] = scanDevice(shards, queries, k, f) })
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

// scanDevice scans the arenas of shards, which share one engine, as one
// store's: their parts in one Eval a round. It holds each shard's read
// lock meanwhile.
func scanDevice(shards []*Store, queries [][]float32, k int, f Filter) ([][]Hit, error) {
	parts, release, err := deviceParts(shards, true, k, f)
	defer release()
	if err != nil {
		return nil, opErr(err, "search")
	}
	return shards[0].scanParts(queries, k, parts)
}

// deviceParts gathers the parts of a search for the top k through f over
// the arenas of shards, which share one engine, read-locking each shard
// first when lock. release frees the parts and unlocks the shards; call
// it whatever the error.
func deviceParts(shards []*Store, lock bool, k int, f Filter) (parts []*part, release func(), err error) {
	var locked []*Store
	release = func() {
		freeParts(parts)
		for _, sh := range locked {
			sh.mu.RUnlock()
		}
	}
	for _, sh := range shards {
		if lock {
			sh.mu.RLock()
			locked = append(locked, sh)
		}
		p, err := sh.parts(k, f)
		parts = append(parts, p...)
		if err != nil {
			return parts, release, err
		}
	}
	return parts, release, nil
}
