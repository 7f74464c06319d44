package cpu

import (
	"cmp"
	"math"
	"slices"
	"sort"
	"sync"
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
// compacted to its k best by a radix selection of their rank keys, which
// sets the threshold.
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
	// compact's scratch
	keys, scratch []uint32
	tieV          []float32
	tieI          []int64
	// sorted's scratch
	sortKeys, sortTmp []uint64
}

// selectors holds released selectors, their buffers reused by the next
// scans: a search at a large k over few rows spent a tenth of its time
// zeroing fresh buffers.
var selectors sync.Pool

func newSelector(o order, k int) *selector {
	return newSelectorFor(o, k, 256) // grown by append up to 2k, as candidates come
}

// newSelectorFor is newSelector with room for n candidates (at most 2k)
// at once: a selector offered n candidates or more holds min(n, 2k) of
// them at some point, and growing to it by doubling copies them twice.
// It reuses a released selector's buffers when there is one.
func newSelectorFor(o order, k, n int) *selector {
	c := min(2*k, max(n, 1))
	s, _ := selectors.Get().(*selector)
	if s == nil {
		s = new(selector)
	}
	s.o, s.k, s.max, s.has = o, k, 2*k, false
	s.vals, s.idx = slices.Grow(s.vals[:0], c), slices.Grow(s.idx[:0], c)
	return s
}

// release hands the selectors' buffers to the next newSelectorFor; none
// of them may be used after.
func release(sels ...*selector) {
	for _, s := range sels {
		if s != nil {
			selectors.Put(s)
		}
	}
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
// makes the worst of them the threshold. It ranks by rank key (see
// rankKey): the k-th smallest key by a radix selection, every candidate
// below it kept, and of those at it (equal scores) the ones of the
// smallest indices.
func (s *selector) compact() {
	n := len(s.vals)
	if n <= s.k {
		return
	}
	keys := slices.Grow(s.keys[:0], n)[:n] // one allocation, not a doubling run
	for p, v := range s.vals {
		keys[p] = s.o.rankKey(v)
	}
	s.keys = keys
	kth, below := selectKey(keys, s.k-1, &s.scratch)
	// Keep the candidates below kth in place, in order (a write never
	// passes the read), and copy those at it (equal scores) aside. Every
	// candidate is written and the write position advanced by the
	// comparison's outcome, without a branch: the outcomes are random, so
	// a branch is often mispredicted (with the selection's filter written
	// the same way, one query's selection of 1000 of 10K candidates went
	// from 240 to 188 us).
	tv, ti := slices.Grow(s.tieV[:0], n)[:n], slices.Grow(s.tieI[:0], n)[:n]
	w, t := 0, 0
	vals, idx := s.vals[:n], s.idx[:n]
	for p, key := range keys {
		v, i := vals[p], idx[p]
		vals[w], idx[w] = v, i
		tv[t], ti[t] = v, i
		if key < kth {
			w++
		}
		if key == kth {
			t++
		}
	}
	tv, ti = tv[:t], ti[:t]
	s.tieV, s.tieI = tv, ti
	// The ties of the smallest indices fill the k; the last of them is
	// the threshold.
	need := s.k - below
	if need < len(ti) {
		sort.Sort(tiesByIndex{tv, ti})
	}
	last := 0
	for t := range need {
		s.vals[w], s.idx[w] = tv[t], ti[t]
		if ti[t] > ti[last] {
			last = t
		}
		w++
	}
	s.vals, s.idx = s.vals[:s.k], s.idx[:s.k]
	s.has, s.tv, s.ti = true, tv[last], ti[last]
}

// tiesByIndex sorts equal scores by index.
type tiesByIndex struct {
	v []float32
	i []int64
}

func (t tiesByIndex) Len() int           { return len(t.i) }
func (t tiesByIndex) Less(a, b int) bool { return t.i[a] < t.i[b] }
func (t tiesByIndex) Swap(a, b int) {
	t.v[a], t.v[b] = t.v[b], t.v[a]
	t.i[a], t.i[b] = t.i[b], t.i[a]
}

// selectKey returns the key of rank r (from 0, smallest first) among
// keys, and how many keys are below it: a radix selection, eight bits at
// a time from the top, over the keys still in the running (copied into
// *scratch after the first round).
func selectKey(keys []uint32, r int, scratch *[]uint32) (key uint32, below int) {
	cur := keys
	var prefix uint32
	for shift := 24; ; shift -= 8 {
		var hist [256]int
		for _, k := range cur {
			hist[k>>shift&0xff]++
		}
		bucket := 0
		for ; r >= hist[bucket]; bucket++ {
			r -= hist[bucket]
			below += hist[bucket]
		}
		prefix |= uint32(bucket) << shift
		if shift == 0 {
			return prefix, below
		}
		// Kept without a branch, as compact keeps its candidates.
		next := slices.Grow((*scratch)[:0], len(cur))[:len(cur)]
		j := 0
		for _, k := range cur {
			next[j] = k
			if k>>shift&0xff == uint32(bucket) {
				j++
			}
		}
		next = next[:j]
		*scratch = next
		cur = next
	}
}

// kept returns the k best candidates (or all, when fewer), in no order.
func (s *selector) kept() ([]float32, []int64) {
	s.compact()
	return s.vals, s.idx
}

// sorted writes the kept candidates best first. A buffer of at most 2k
// candidates (and 512) is sorted whole and its first k written, rather
// than cut to k by a radix selection first: a search of 1024 queries over
// 10K rows (BenchmarkBatch1024 of package store) scores about 108
// candidates a query again exactly for k = 101, where the selection's
// four histogram passes cost about as much as the sort.
func (s *selector) sorted(vals []float32, idx []int64) {
	if n := len(s.vals); n > 2*s.k || n >= 512 {
		s.compact()
	}
	n := len(s.vals)
	// Each candidate as one integer, its rank key (see rankKey) above its
	// place: sorting the integers orders the candidates by score, and
	// ties (equal keys, rare) are then put in index order.
	keys := slices.Grow(s.sortKeys[:0], n)[:n]
	s.sortKeys = keys
	for p, v := range s.vals {
		keys[p] = uint64(s.o.rankKey(v))<<32 | uint64(p)
	}
	if n < 512 {
		slices.Sort(keys)
	} else {
		s.sortTmp = slices.Grow(s.sortTmp[:0], n)[:n]
		radixSortHigh(keys, s.sortTmp)
	}
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
	for p, key := range keys[:min(n, s.k)] {
		vals[p], idx[p] = s.vals[uint32(key)], s.idx[uint32(key)]
	}
}

// radixSortHigh sorts keys by their upper 32 bits, stably (so keys of
// equal upper halves keep their order, which is the lower halves' here):
// four passes of 8 bits, through tmp (as long as keys), each skipped when
// every key has the same digit (the best scores of a search share their
// top bits). 256 buckets keep a pass's writes in cache, where 2048 (three
// passes of 11 bits) took 11 ns a key at k = 4096.
func radixSortHigh(keys, tmp []uint64) {
	if len(keys) == 0 {
		return
	}
	src, dst := keys, tmp
	for shift := 32; shift < 64; shift += 8 {
		var count [256]int
		for _, k := range src {
			count[k>>shift&0xff]++
		}
		if count[src[0]>>shift&0xff] == len(src) {
			continue
		}
		sum := 0
		for b, c := range count {
			count[b] = sum
			sum += c
		}
		for _, k := range src {
			b := k >> shift & 0xff
			dst[count[b]] = k
			count[b]++
		}
		src, dst = dst, src
	}
	if &src[0] != &keys[0] {
		copy(keys, src)
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
