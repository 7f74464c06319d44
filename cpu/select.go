package cpu

import (
	"cmp"
	"math"
	"slices"
)

// order ranks candidates: largest or smallest first, ties to the smaller
// index, NaN after every number.
type order struct{ largest bool }

// ahead reports whether (v, i) ranks ahead of (w, j).
func (o order) ahead(v float32, i int64, w float32, j int64) bool {
	switch {
	case v != v:
		return w != w && i < j
	case w != w:
		return true
	case v == w:
		return i < j
	case o.largest:
		return v > w
	}
	return v < w
}

// selector keeps the k best candidates seen. Candidates that rank ahead
// of a threshold (the worst of the k best at the last compaction; none
// before the first) are appended to a buffer of 2k; a full buffer is
// compacted to its k best by a quickselect, which sets the threshold.
// Each candidate costs one comparison once the threshold has settled and
// O(1) amortized before, whatever k (a heap costs log k per kept one).
type selector struct {
	o    order
	k    int
	vals []float32
	idx  []int64
	max  int     // the buffer's length at which it is compacted: 2k
	has  bool    // whether the threshold is set
	tv   float32 // the threshold: the worst candidate kept at the last compaction
	ti   int64
}

func newSelector(o order, k int) *selector {
	c := min(2*k, 256) // grown by append up to 2k, as candidates come
	return &selector{o: o, k: k, max: 2 * k, vals: make([]float32, 0, c), idx: make([]int64, 0, c)}
}

// offer considers candidate (v, i): dropped at once when it does not
// rank ahead of the threshold.
func (s *selector) offer(v float32, i int64) {
	if s.has && !s.o.ahead(v, i, s.tv, s.ti) {
		return
	}
	s.push(v, i)
}

// offerScaled offers the candidates (scores[r]·f[r], base+r), leaving
// the products in scores; with a row bitmap bits (nil: none), the rows
// base+r that fail it are offered with the worst score instead (as
// OpMaskRows scores them). Once the threshold is set, the scores strictly
// behind its value are skipped by firstNotBelow (or firstNotAbove), eight
// at a time on amd64; the rest go through ahead, and only those have
// their bit tested: masking every score of a 64-query scan's tiles cost
// 14% of the scan at a 50% filter.
func (s *selector) offerScaled(scores, f []float32, base int64, bits []uint32) {
	f = f[:len(scores)]
	for r := range scores {
		scores[r] *= f[r]
	}
	first := firstNotAbove
	if s.o.largest {
		first = firstNotBelow
	}
	for r := 0; r < len(scores); r++ {
		if s.has {
			r += first(scores[r:], s.tv)
			if r == len(scores) {
				return
			}
		}
		v := scores[r]
		if bits != nil && !passes(bits, int(base)+r) {
			v = worst(s.o.largest)
		}
		s.push(v, base+int64(r))
	}
}

// firstNotBelow and firstNotAbove return the index of the first score of
// v that is not strictly below (above) t, else len(v): NaN never is.
// setSIMD assigns them.
var firstNotBelow, firstNotAbove = firstNotBelowGo, firstNotAboveGo

func firstNotBelowGo(v []float32, t float32) int {
	for i, x := range v {
		if !(x < t) {
			return i
		}
	}
	return len(v)
}

func firstNotAboveGo(v []float32, t float32) int {
	for i, x := range v {
		if !(x > t) {
			return i
		}
	}
	return len(v)
}

// push adds a candidate that passed the threshold.
func (s *selector) push(v float32, i int64) {
	if s.has && !s.o.ahead(v, i, s.tv, s.ti) {
		return
	}
	s.vals = append(s.vals, v)
	s.idx = append(s.idx, i)
	if len(s.vals) == s.max {
		s.compact()
	}
}

// compact keeps the k best candidates of the buffer (in no order) and
// makes the worst of them the threshold.
func (s *selector) compact() {
	if len(s.vals) <= s.k {
		return
	}
	s.selectBest(0, len(s.vals)-1, s.k-1)
	s.vals, s.idx = s.vals[:s.k], s.idx[:s.k]
	s.has, s.tv, s.ti = true, s.vals[s.k-1], s.idx[s.k-1]
}

// selectBest reorders entries lo..hi so that entry n ranks n-th among
// them, with every entry before it ahead of it (Hoare's quickselect, the
// pivot the median of three).
func (s *selector) selectBest(lo, hi, n int) {
	ahead := func(a, b int) bool { return s.o.ahead(s.vals[a], s.idx[a], s.vals[b], s.idx[b]) }
	for hi > lo {
		mid := lo + (hi-lo)/2
		if ahead(mid, lo) {
			s.swap(mid, lo)
		}
		if ahead(hi, lo) {
			s.swap(hi, lo)
		}
		if ahead(hi, mid) {
			s.swap(hi, mid)
		}
		// lo, mid, hi now rank best to worst: the median is the pivot,
		// kept at lo while lo+1..hi are partitioned.
		s.swap(mid, lo)
		pv, pi := s.vals[lo], s.idx[lo]
		i, j := lo+1, hi
		for {
			for i <= j && s.o.ahead(s.vals[i], s.idx[i], pv, pi) {
				i++
			}
			for i <= j && s.o.ahead(pv, pi, s.vals[j], s.idx[j]) {
				j--
			}
			if i >= j {
				break
			}
			s.swap(i, j)
			i++
			j--
		}
		// Entries lo+1..j rank ahead of the pivot, j+1..hi behind it.
		s.swap(lo, j)
		switch {
		case n == j:
			return
		case n < j:
			hi = j - 1
		default:
			lo = j + 1
		}
	}
}

func (s *selector) swap(a, b int) {
	s.vals[a], s.vals[b] = s.vals[b], s.vals[a]
	s.idx[a], s.idx[b] = s.idx[b], s.idx[a]
}

// kept returns the k best candidates (or all, when fewer), in no order.
func (s *selector) kept() ([]float32, []int64) {
	s.compact()
	return s.vals, s.idx
}

// sorted writes the kept candidates best first.
func (s *selector) sorted(vals []float32, idx []int64) {
	s.compact()
	n := len(s.vals)
	// Each candidate as one integer, its rank key (see rankKey) above its
	// place: sorting the integers orders the candidates by score, and
	// ties (equal keys, rare) are then put in index order.
	keys := make([]uint64, n)
	for p, v := range s.vals {
		keys[p] = uint64(s.o.rankKey(v))<<32 | uint64(p)
	}
	slices.Sort(keys)
	for a := 0; a < n; {
		b := a + 1
		for b < n && keys[b]>>32 == keys[a]>>32 {
			b++
		}
		if b-a > 1 {
			slices.SortFunc(keys[a:b], func(x, y uint64) int { return cmp.Compare(s.idx[uint32(x)], s.idx[uint32(y)]) })
		}
		a = b
	}
	for p, key := range keys {
		vals[p], idx[p] = s.vals[uint32(key)], s.idx[uint32(key)]
	}
}

// rankKey maps a score to an unsigned integer that is smaller the better
// the score ranks: equal for equal scores (both zeros alike, every NaN
// alike, after every number).
func (o order) rankKey(v float32) uint32 {
	if v != v {
		return math.MaxUint32
	}
	if v == 0 {
		v = 0 // -0 ranks as +0
	}
	b := math.Float32bits(v)
	if b>>31 != 0 {
		b = ^b // negative: larger magnitude, smaller number
	} else {
		b |= 1 << 31
	}
	// b now grows with v, from 0x007fffff (-Inf) to 0xff800000 (+Inf),
	// and so does ^b the other way: both stay below the NaN key.
	if o.largest {
		return ^b
	}
	return b
}
