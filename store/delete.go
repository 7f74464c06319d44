package store

// Delete removes the given ids and returns how many were in the store;
// ids that are not are ignored. The rows' memory is reclaimed by
// compaction: an arena is rewritten without its deleted rows once more
// than an eighth of it is deleted (Stats.Reclaimable counts the rows
// waiting), so the cost is amortized over many deletes.
func (s *Store) Delete(ids ...int64) (int, error) {
	s.wmu.Lock()
	defer s.wmu.Unlock()
	if s.closed {
		return 0, ErrClosed
	}
	if s.shards != nil {
		return s.deleteShards(ids), nil
	}
	var found []loc
	seen := map[int64]bool{}
	for _, id := range ids {
		if seen[id] {
			continue
		}
		seen[id] = true
		if l, ok := s.where[id]; ok {
			found = append(found, l)
		}
	}
	if len(found) == 0 {
		return 0, nil
	}
	s.lock()
	s.kill(found)
	s.mu.Unlock()
	s.maintain()
	return len(found), nil
}

// kill deletes the rows found, live rows of distinct ids. Called with
// s.wmu and s.mu held for writing.
func (s *Store) kill(found []loc) {
	for _, l := range found {
		l.a.kill(l.r)
		delete(s.where, l.a.ids[l.r])
	}
	s.live -= len(found)
}

// Compact rewrites every arena that holds deleted rows, freeing them
// now rather than when the amortized policy would, and packs the rows
// into as few arenas as Options.SegmentRows allows. Searches and the store's contents are unaffected.
func (s *Store) Compact() error {
	s.wmu.Lock()
	defer s.wmu.Unlock()
	if s.closed {
		return ErrClosed
	}
	for _, sh := range s.shards {
		if err := sh.Compact(); err != nil {
			return err
		}
	}
	if err := s.tidy(true); err != nil || !s.packable() {
		return err
	}
	packed, err := s.pack()
	if err != nil {
		return err
	}
	s.lock()
	old := s.arenas
	s.arenas = packed
	for _, a := range packed {
		for r, id := range a.ids {
			s.where[id] = loc{a, r}
		}
	}
	s.mu.Unlock()
	for _, a := range old {
		release(&a.rows, nil)
	}
	return nil
}
