package store

// addShards is add for a sharded store, with s.wmu held: an id that a
// shard holds goes to that shard (the upsert replaces it there, so that
// no id is in two shards), the new ids are spread over the emptiest
// shards (see spread), in runs of the batch's order. Every shard's part
// is written aside first; then all are published at once, under s.mu,
// so that a search sees the whole add or none of it. On an error nothing
// has changed.
func (s *Store) addShards(op string, ids []int64, vectors [][]float32, flat []float32) error {
	if s.closed {
		return ErrClosed
	}
	if len(ids) == 0 {
		return nil
	}
	if err := s.checkBatch(op, ids, vectors); err != nil {
		return err
	}
	if err := s.checkBudget(op, len(ids)); err != nil {
		return err
	}
	route := make([]int, len(ids))
	var fresh []int // the batch's new ids, by index
	held := false   // whether a shard may hold an id of the batch
	for _, sh := range s.shards {
		held = held || !sh.allNew(ids)
	}
	for i, id := range ids {
		route[i] = -1
		for j := 0; held && j < len(s.shards); j++ {
			if _, ok := s.shards[j].where[id]; ok { // writers hold s.wmu
				route[i] = j
				break
			}
		}
		if route[i] < 0 {
			fresh = append(fresh, i)
		}
	}
	counts := make([]int, len(s.shards))
	for j, sh := range s.shards {
		counts[j] = sh.live
	}
	for j, g := range spread(counts, len(fresh)) {
		for _, i := range fresh[:g] {
			route[i] = j
		}
		fresh = fresh[g:]
	}
	picks := make([][]int, len(s.shards))
	for i, j := range route {
		picks[j] = append(picks[j], i)
	}
	unlock := s.lockShards()
	defer unlock()
	staged := make([]*staged, len(s.shards))
	for j, sh := range s.shards {
		if len(picks[j]) == 0 {
			continue
		}
		sids, svecs, sflat := pick(picks[j], ids, vectors, flat, s.cfg.dim)
		st, err := sh.stage(op, sids, svecs, sflat)
		if err != nil {
			// The shard names a bad vector by its place in its part;
			// name it by its place in the batch.
			if cerr := s.checkVectors(op, "vector", vectors, ids); cerr != nil {
				err = cerr
			}
			for k, st := range staged {
				if st != nil {
					s.shards[k].discard(st)
				}
			}
			return err
		}
		staged[j] = st
	}
	s.lock()
	for j, st := range staged {
		if st == nil {
			continue
		}
		sh := s.shards[j]
		sh.lock()
		sh.publish(st)
		sh.mu.Unlock()
		s.live += len(st.ids) - len(st.replaced)
	}
	s.bumpNextID(ids)
	s.mu.Unlock()
	for j, st := range staged {
		if st != nil {
			s.shards[j].settle(st)
		}
	}
	return nil
}

// pick returns the ids and vectors of a batch at the given indices
// (ascending), and their flat rows when flat is given and the indices
// are a run.
func pick(at []int, ids []int64, vectors [][]float32, flat []float32, dim int) ([]int64, [][]float32, []float32) {
	sids := make([]int64, len(at))
	svecs := make([][]float32, len(at))
	for i, j := range at {
		sids[i], svecs[i] = ids[j], vectors[j]
	}
	var sflat []float32
	if lo, hi := at[0], at[len(at)-1]+1; flat != nil && hi-lo == len(at) {
		sflat = flat[lo*dim : hi*dim]
	}
	return sids, svecs, sflat
}

// deleteShards is Delete for a sharded store, with s.wmu held: each id
// is deleted from the shard that holds it, all at once under s.mu.
func (s *Store) deleteShards(ids []int64) int {
	found := make([][]loc, len(s.shards))
	seen := map[int64]bool{}
	total := 0
	for _, id := range ids {
		if seen[id] {
			continue
		}
		seen[id] = true
		for j, sh := range s.shards {
			if l, ok := sh.where[id]; ok {
				found[j] = append(found[j], l)
				total++
				break
			}
		}
	}
	if total == 0 {
		return 0
	}
	unlock := s.lockShards()
	defer unlock()
	s.lock()
	for j, f := range found {
		if len(f) > 0 {
			sh := s.shards[j]
			sh.lock()
			sh.kill(f)
			sh.mu.Unlock()
		}
	}
	s.live -= total
	s.mu.Unlock()
	for j, f := range found {
		if len(f) > 0 {
			s.shards[j].maintain()
		}
	}
	return total
}

// lockShards takes every shard's writer lock, in order, and returns the
// function that releases them. Called with s.wmu held.
func (s *Store) lockShards() func() {
	for _, sh := range s.shards {
		sh.wmu.Lock()
	}
	return func() {
		for _, sh := range s.shards {
			sh.wmu.Unlock()
		}
	}
}
