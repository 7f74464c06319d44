package store

import (
	"math"
	mathbits "math/bits"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/silica-go/silica/internal/par"
)

// Filter restricts a search to some ids. It is evaluated on the host for
// each stored id into a bitmap of the rows that pass (n/8 bytes for n
// rows), which the search uploads and its scan reads (engine.MaskRows,
// fused into the scan kernel): the rows that fail never enter the top k,
// so a search returns k hits whenever k vectors pass the filter, at about
// the cost of an unfiltered search. The zero Filter lets every id pass.
//
// An AllowIDs filter keeps its bitmap for the store's rows as they are
// (for up to 16 stores or shards): searching again with the same filter
// (or a copy of it) before the store changes reuses it, without a pass
// over the stored ids. That pass, made on every core, took about 2 ms a
// search over 1M ids on an H100's host, with the list's copy and sort,
// where the search took 0.6-1.8 ms (bench/cuda/NOTES.md, run 33): a
// filter searched more than once is best made once. A Where filter's
// predicate is called again on every search.
type Filter struct {
	allow []int64          // sorted, unique; used when isList
	where func(int64) bool // used when not nil
	list  bool
	memo  *bitmapMemo // AllowIDs: its bitmaps by store and state
}

// AllowIDs returns a filter that passes only the given ids. Ids that are
// not in the store are ignored; an empty list passes nothing.
func AllowIDs(ids ...int64) Filter {
	a := slices.Clone(ids)
	slices.Sort(a)
	return Filter{allow: slices.Compact(a), list: true, memo: new(bitmapMemo)}
}

// bitmapMemo keeps a filter's bitmaps (Filter.bitmaps) for each store
// searched through it, made for the store's state then (Store.state):
// they stand until a writer changes the store. Safe for concurrent use;
// the bitmaps are shared and never written once kept.
type bitmapMemo struct {
	mu sync.Mutex
	by map[*Store]memoBits
}

type memoBits struct {
	state   uint64
	bits    [][]int32
	passing []int
}

// memoStores bounds the stores a bitmapMemo keeps bitmaps for: past it,
// it forgets all of them (a filter searched on more stores or shards than
// this evaluates again).
const memoStores = 16

// get returns the bitmaps kept for s in state.
func (m *bitmapMemo) get(s *Store, state uint64) (memoBits, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	b, ok := m.by[s]
	return b, ok && b.state == state
}

// put keeps b for s, in place of any it held for s before.
func (m *bitmapMemo) put(s *Store, b memoBits) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.by[s]; !ok && len(m.by) >= memoStores || m.by == nil {
		m.by = make(map[*Store]memoBits)
	}
	m.by[s] = b
}

// Where returns a filter that passes the ids for which pred returns true.
// pred is called once per stored id during each search, from the
// searching goroutine, while the store is locked for reading: it must not
// call the store's methods.
func Where(pred func(id int64) bool) Filter { return Filter{where: pred} }

// bitmaps returns, for each arena of s, the bitmap of the rows that pass
// f (bit r%32 of word r/32 set: row r passes; nil: every row of the
// arena passes) and how many pass. Dead rows never pass. The bitmaps may
// be shared: they must not be written. Called with s.mu held.
func (f Filter) bitmaps(s *Store) ([][]int32, []int) {
	memo := f.memo
	if !f.list && f.where == nil {
		memo = &s.liveMemo
	}
	if memo == nil {
		return f.evaluate(s)
	}
	if b, ok := memo.get(s, s.state); ok {
		return b.bits, b.passing
	}
	bits, passing := f.evaluate(s)
	memo.put(s, memoBits{s.state, bits, passing})
	return bits, passing
}

// evaluate is bitmaps, made anew.
func (f Filter) evaluate(s *Store) ([][]int32, []int) {
	bits := make([][]int32, len(s.arenas))
	passing := make([]int, len(s.arenas))
	switch {
	case f.list && denseAllow(f.allow, s.live):
		// Many ids in a narrow range: a bitset of the list, tested for
		// each stored row's id in turn, costs less than a map lookup per
		// listed id (random reads of the id index).
		lo := f.allow[0]
		set := make([]uint64, uint64(f.allow[len(f.allow)-1]-lo)/64+1)
		// Each part of the sorted list sets words of its own: a part
		// starts at an id whose word the id before does not share.
		start := func(i int) int {
			for i > 0 && i < len(f.allow) && uint64(f.allow[i]-lo)/64 == uint64(f.allow[i-1]-lo)/64 {
				i++
			}
			return i
		}
		par.Split(len(f.allow), filterGrain, func(i, j int) {
			for _, id := range f.allow[start(i):start(j)] {
				o := uint64(id - lo)
				set[o/64] |= 1 << (o % 64)
			}
		})
		for i, a := range s.arenas {
			bits[i], passing[i] = rowWords(a, filterGrain, func(_ int, ids []int64) uint32 {
				var word uint32 // without a branch on the bit: a filter may keep rows at random
				for r, id := range ids {
					if o := uint64(id - lo); o/64 < uint64(len(set)) { // ids below lo wrap past the set
						word |= uint32(set[o/64]>>(o%64)&1) << r
					}
				}
				return word
			})
		}
	case f.list:
		index := make(map[*arena]int, len(s.arenas))
		for i, a := range s.arenas {
			index[a] = i
			bits[i] = make([]int32, (a.n()+31)/32) // nothing passes but the listed ids
		}
		for _, id := range f.allow {
			if l, ok := s.where[id]; ok {
				i := index[l.a]
				bits[i][l.r/32] |= int32(uint32(1) << (l.r % 32))
				passing[i]++
			}
		}
	case f.where != nil:
		// The predicate's answer goes into its bit without a branch: a
		// filter that keeps rows at random would mispredict one in two
		// (BenchmarkFilterBitmaps, 100K rows: 646-674 us keeping half
		// against 327-375 keeping a tenth; about 200 either way since).
		// Dead rows are skipped: their ids are not stored any more, and
		// the predicate never sees them. One part: the predicate is
		// called from the searching goroutine (see Where).
		for i, a := range s.arenas {
			bits[i], passing[i] = rowWords(a, math.MaxInt, func(base int, ids []int64) uint32 {
				var word uint32
				for r, id := range ids {
					if !a.isDead(base + r) {
						word |= bit(f.where(id)) << r
					}
				}
				return word
			})
		}
	default:
		for i, a := range s.arenas {
			passing[i] = a.live()
			if a.ndead != 0 {
				bits[i], _ = rowWords(a, filterGrain, func(_ int, ids []int64) uint32 { return uint32(uint64(1)<<len(ids) - 1) })
			}
		}
	}
	for i, a := range s.arenas {
		if passing[i] == a.n() {
			bits[i] = nil // every row passes: a plain scan
		}
	}
	return bits, passing
}

// filterGrain is the fewest list ids or bitmap words a goroutine of
// evaluate takes (the tests lower it to split small stores).
var filterGrain = 1 << 9

// rowWords returns the bitmap of a's rows whose word w is word(32w, the
// ids of rows 32w to 32w+31) with the dead rows cleared, made in parts
// of grain words or more on as many goroutines (one part: on the
// caller's), and how many rows pass.
func rowWords(a *arena, grain int, word func(base int, ids []int64) uint32) ([]int32, int) {
	w := make([]int32, (a.n()+31)/32)
	var passing atomic.Int64
	par.Split(len(w), grain, func(lo, hi int) {
		count := 0
		for i := lo; i < hi; i++ {
			end := min(32*i+32, len(a.ids))
			x := word(32*i, a.ids[32*i:end])
			if a.dead != nil {
				for r, d := range a.dead[32*i : end] {
					x &^= bit(d) << r
				}
			}
			w[i] = int32(x)
			count += mathbits.OnesCount32(x)
		}
		passing.Add(int64(count))
	})
	return w, int(passing.Load())
}

// denseAllow reports whether bitmaps should test each stored row's id
// against a bitset of the sorted, unique list allow rather than look each
// listed id up in the store's index of n live ids: when the list holds at
// least one id in 32 of the store's (a lookup is a random read, a row's
// test a sequential one) and spans at most 64 ids per stored one (the set
// takes at most 8 bytes a row).
func denseAllow(allow []int64, n int) bool {
	if len(allow) == 0 || len(allow) < n/32 {
		return false
	}
	span := uint64(allow[len(allow)-1] - allow[0]) // the list is sorted: no wrap, even across 0
	return span < 64*uint64(n+len(allow))
}

// bit is 1 for true and 0 for false, without a branch.
func bit(b bool) uint32 {
	if b {
		return 1
	}
	return 0
}
