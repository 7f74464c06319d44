package store

// Delete removes the given ids and returns how many were in the store;
// ids that are not are ignored. The rows' memory is reclaimed by
// compaction: a segment is rewritten without its deleted rows once more
// than an eighth of it is deleted (Stats.Reclaimable counts the rows
// waiting), so the cost is amortized over many deletes.
func (s *Store) Delete(ids ...int64) (int, error) {
	s.wmu.Lock()
	defer s.wmu.Unlock()
	if s.closed {
		return 0, ErrClosed
	}
	type loc struct {
		g *segment
		r int
	}
	var found []loc
	seen := map[int64]bool{}
	for _, id := range ids {
		if seen[id] {
			continue
		}
		seen[id] = true
		if g, r, ok := s.locate(id); ok {
			found = append(found, loc{g, r})
		}
	}
	if len(found) == 0 {
		return 0, nil
	}
	s.mu.Lock()
	for _, l := range found {
		l.g.kill(l.r)
	}
	s.live -= len(found)
	s.mu.Unlock()
	s.maintain()
	return len(found), nil
}

// Compact rewrites every segment that holds deleted rows, freeing them
// now rather than when the amortized policy would, and merges small
// segments. Searches and the store's contents are unaffected.
func (s *Store) Compact() error {
	s.wmu.Lock()
	defer s.wmu.Unlock()
	if s.closed {
		return ErrClosed
	}
	return s.tidy(true)
}
