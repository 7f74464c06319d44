package store

import "slices"

// Filter restricts a search to some ids. It is evaluated on the host for
// each stored id, and the scans are built from it (a segment with many
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

// mask returns which rows of g pass f (nil: every live row) and how many.
// Dead rows never pass.
func (f Filter) mask(g *segment) ([]bool, int) {
	switch {
	case f.list:
		m := make([]bool, g.n())
		n := 0
		// The allow-list is sorted, so only the part within g's id range
		// is looked up.
		lo, _ := slices.BinarySearch(f.allow, g.ids[0])
		for _, id := range f.allow[lo:] {
			if id > g.ids[len(g.ids)-1] {
				break
			}
			if r, ok := g.find(id); ok {
				m[r] = true
				n++
			}
		}
		return m, n
	case f.where != nil:
		m := make([]bool, g.n())
		n := 0
		for r, id := range g.ids {
			if !g.isDead(r) && f.where(id) {
				m[r] = true
				n++
			}
		}
		return m, n
	}
	return nil, g.live()
}
