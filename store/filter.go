package store

import "slices"

// Filter restricts a search to some ids. It is evaluated on the host for
// each stored id, and the scans are built from it (an arena with many
// rows filtered out is gathered to its passing rows first, one with few
// is scanned for k plus that many), so that the top k are chosen among
// the passing vectors: a search returns k hits whenever k vectors pass
// the filter. The zero Filter lets every id pass.
type Filter struct {
	allow []int64          // sorted, unique; used when isList
	where func(int64) bool // used when not nil
	list  bool
}

// AllowIDs returns a filter that passes only the given ids. Ids that are
// not in the store are ignored; an empty list passes nothing.
func AllowIDs(ids ...int64) Filter {
	a := slices.Clone(ids)
	slices.Sort(a)
	return Filter{allow: slices.Compact(a), list: true}
}

// Where returns a filter that passes the ids for which pred returns true.
// pred is called once per stored id during each search, from the
// searching goroutine, while the store is locked for reading: it must not
// call the store's methods.
func Where(pred func(id int64) bool) Filter { return Filter{where: pred} }

// masks returns, for each arena of s, which rows pass f (nil: every
// live row) and how many. Dead rows never pass. Called with s.mu held.
func (f Filter) masks(s *Store) ([][]bool, []int) {
	masks := make([][]bool, len(s.arenas))
	passing := make([]int, len(s.arenas))
	switch {
	case f.list:
		index := make(map[*arena]int, len(s.arenas))
		for i, a := range s.arenas {
			index[a] = i
		}
		for _, id := range f.allow {
			l, ok := s.where[id]
			if !ok {
				continue
			}
			i := index[l.a]
			if masks[i] == nil {
				masks[i] = make([]bool, l.a.n())
			}
			masks[i][l.r] = true
			passing[i]++
		}
		for i, a := range s.arenas {
			if masks[i] == nil {
				masks[i] = make([]bool, a.n()) // nothing passes
			}
		}
	case f.where != nil:
		for i, a := range s.arenas {
			m := make([]bool, a.n())
			for r, id := range a.ids {
				if !a.isDead(r) && f.where(id) {
					m[r] = true
					passing[i]++
				}
			}
			masks[i] = m
		}
	default:
		for i, a := range s.arenas {
			passing[i] = a.live()
		}
	}
	return masks, passing
}
