package store

import (
	"context"
	"errors"
	"fmt"
	"math"
	"runtime"
	"runtime/trace"
	"slices"
	"sort"
	"sync"
	"unsafe"

	"github.com/silica-go/silica/engine"
	"github.com/silica-go/silica/half"
	"github.com/silica-go/silica/internal/par"
)

// Hit is one search result: a stored id and its score (cosine similarity,
// inner product, or squared L2 distance, as the store's metric says).
type Hit struct {
	ID    int64
	Score float32
}

// Search returns the k vectors closest to query (length Dim), best first
// (largest score for Cosine and Dot, smallest for L2), ties broken by the
// smaller id. Any k >= 1 is allowed: with k above Len all vectors come
// back. A query of the wrong length, with NaN or Inf, all zeros under
// Cosine, or k < 1 is an error.
//
// A sharded store (Options.Devices, Options.Shards) returns the same hits
// in the same order: every device scans its shards at once, and the host
// merges the devices' top k, reading k candidates per query from each
// (see "Sharding" in the package doc).
func (s *Store) Search(query []float32, k int) ([]Hit, error) {
	return first(s.SearchBatchFiltered([][]float32{query}, k, Filter{}))
}

// SearchFiltered is Search over the ids that pass f (see Filter).
func (s *Store) SearchFiltered(query []float32, k int, f Filter) ([]Hit, error) {
	return first(s.SearchBatchFiltered([][]float32{query}, k, f))
}

// first returns the hits of the only query of a batch.
func first(h [][]Hit, err error) ([]Hit, error) {
	if err != nil {
		return nil, err
	}
	return h[0], nil
}

// SearchBatch is Search for many queries in one engine submission:
// result i holds the hits of queries[i].
func (s *Store) SearchBatch(queries [][]float32, k int) ([][]Hit, error) {
	return s.SearchBatchFiltered(queries, k, Filter{})
}

// SearchBatchFiltered is SearchBatch over the ids that pass f.
func (s *Store) SearchBatchFiltered(queries [][]float32, k int, f Filter) ([][]Hit, error) {
	if err := checkK("search", k); err != nil {
		return nil, err
	}
	if err := s.checkVectors("search", "query", queries, nil); err != nil {
		return nil, err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.closed {
		return nil, ErrClosed
	}
	return s.scan(queries, k, f)
}

// SearchRange returns every vector within bound of query, best first:
// under Cosine and Dot those scoring at least bound, under L2 those at
// squared distance at most bound. It runs top-k scans with k growing
// fourfold until the k-th hit falls outside the bound. A NaN or infinite
// bound is an error, as are the query errors of Search.
func (s *Store) SearchRange(query []float32, bound float32) ([]Hit, error) {
	if math.IsNaN(float64(bound)) || math.IsInf(float64(bound), 0) {
		return nil, fmt.Errorf("store: range search: bound %v; want a finite number", bound)
	}
	if err := s.checkVectors("range search", "query", [][]float32{query}, nil); err != nil {
		return nil, err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.closed {
		return nil, ErrClosed
	}
	inside := func(h Hit) bool {
		if s.cfg.metric.larger() {
			return h.Score >= bound
		}
		return h.Score <= bound
	}
	for k := min(s.live, 64); ; k = min(4*k, s.live) {
		if k == 0 {
			return []Hit{}, nil
		}
		res, err := s.scan([][]float32{query}, k, Filter{})
		if err != nil {
			return nil, err
		}
		hits := res[0]
		if k == s.live || !inside(hits[len(hits)-1]) {
			return hits[:sort.Search(len(hits), func(i int) bool { return !inside(hits[i]) })], nil
		}
	}
}

// part is the scan of one arena within a search.
type part struct {
	a       *arena
	bits    []int32       // the rows that may be returned; nil: all of a
	passing int           // how many rows pass
	n       int           // rows scanned
	k       int           // results asked of the scan per query
	mask    *engine.Array // bits on the device, when the scan reads them
	// The scan's results, per attempt: values and rows [m, k], and the
	// rows' ids when the scan maps them on the device (mapsOnDevice; then
	// the rows are read only if a result may be an excluded row, see
	// collect).
	vals, index, ids *engine.Array
}

// mapsOnDevice reports whether the part's scan for m queries maps its
// rows to ids on the device: the arena keeps its ids there, the scan
// returns no excluded row unless it scores as the mask scores them (no
// bitmap, or one the scan reads), and the results are many
// (mapOnDeviceMin).
func (p *part) mapsOnDevice(m int) bool {
	return p.a.xids != nil && (p.bits == nil || p.mask != nil) && m*p.k >= mapOnDeviceMin
}

// passes reports whether row r of the arena may be returned.
func (p *part) passes(r int) bool { return p.bits == nil || uint32(p.bits[r/32])>>(r%32)&1 != 0 }

// free releases the part's arrays of one attempt.
func (p *part) free() {
	for _, a := range []*engine.Array{p.vals, p.index, p.ids} {
		if a != nil {
			a.Free()
		}
	}
	p.vals, p.index, p.ids = nil, nil, nil
}

// freeAll releases every array of the part.
func (p *part) freeAll() {
	p.free()
	if p.mask != nil {
		p.mask.Free()
	}
}

// scan searches with s.mu held for reading: one top-k scan per arena, all
// in one Eval (one submission to the backend), then, per query, the rows
// mapped to ids, the excluded ones (dead or filtered out) dropped, runs
// of equal scores put in id order, and the arenas' hits merged.
//
// Ties: the engine breaks them by the smaller row, the store's contract
// is the smaller id, and rows are in insertion order. So each arena is
// asked for k + tieSlack(k) results (its excluded rows masked in the
// scan, see parts); if fewer than k of them pass while more rows pass,
// or its last result still scores as well as the k-th kept one (a tie
// across the k-th place, or passing rows scored as the masked ones are)
// and the scan did not return every row, rows of that score with
// smaller ids may be missing, and the arena is scanned again for twice
// as many. Otherwise
// every row not returned scores worse than the k-th hit: exact.
func (s *Store) scan(queries [][]float32, k int, f Filter) ([][]Hit, error) {
	if len(queries) == 0 || s.live == 0 {
		return noHits(len(queries)), nil
	}
	if s.shards != nil {
		return s.scanShards(queries, k, f)
	}
	parts, err := s.parts(k, f)
	defer freeParts(parts)
	if err != nil {
		return nil, opErr(err, "search")
	}
	return s.scanParts(queries, k, parts)
}

// noHits returns m empty results.
func noHits(m int) [][]Hit {
	res := make([][]Hit, m)
	for i := range res {
		res[i] = []Hit{}
	}
	return res
}

// freeParts releases the arrays of parts.
func freeParts(parts []*part) {
	for _, p := range parts {
		p.freeAll()
	}
}

// scanParts runs the scans of parts, arenas on s's engine (of s or of
// other shards on the same engine), in one Eval a round, and merges
// their hits (see scan).
func (s *Store) scanParts(queries [][]float32, k int, parts []*part) ([][]Hit, error) {
	res := noHits(len(queries))
	if len(parts) == 0 {
		return res, nil
	}
	rg := trace.StartRegion(context.Background(), "store.upload")
	q, err := s.uploadQueries(queries)
	rg.End()
	if err != nil {
		return nil, opErr(err, "search")
	}
	defer func() { q.Free() }() // the last round's queries
	cands := make([][]Hit, len(queries))
	// A query whose hits may miss a tie at the k-th place is scanned
	// again, with the others that need it, its part asked for twice as
	// many; the other queries' hits stand (in a store of one arena: in
	// run 23's trace of 1024 float16 queries at k = 4096 over 1M rows on
	// an H100, some query had such a tie and all 1024 were scanned again,
	// 119 ms of wall for 41.5 of device time).
	qs := identity(len(queries)) // the queries of this round
	for {
		rg = trace.StartRegion(context.Background(), "store.build")
		outs, err := s.build(q, parts)
		rg.End()
		if err != nil {
			return nil, opErr(err, "search")
		}
		m := q.Shape()[0]
		slabs := make([]*hitSlab, len(parts))
		for j, p := range parts {
			if p.a.xids != nil && m*p.k >= slabMin { // a device's scan: the host waits for it
				slabs[j] = newHitSlab(m, p.k)
			}
		}
		rg = trace.StartRegion(context.Background(), "store.eval")
		err = s.e.EvalRead(readBack(parts), outs...)
		rg.End()
		if err != nil {
			return nil, opErr(err, "search")
		}
		again := make([]bool, m)
		more := false
		found := make([][][]Hit, len(parts))
		for j, p := range parts {
			rg = trace.StartRegion(context.Background(), "store.slabwait")
			slabs[j].wait()
			rg.End()
			rg = trace.StartRegion(context.Background(), "store.collect")
			hits, redo, err := s.collect(p, m, k, slabs[j])
			rg.End()
			p.free()
			if err != nil {
				return nil, opErr(err, "search")
			}
			found[j] = hits
			for _, i := range redo {
				again[i] = true
			}
			if len(redo) > 0 {
				p.k = min(p.n, 2*p.k)
				more = true
			}
		}
		if more && len(parts) > 1 {
			// Every query again: a backend's products may round equal rows
			// of two parts differently in scans of different query counts
			// (libtorch's on the CPU do), and the merge would then order a
			// tie across parts by score rather than by id.
			for j := range again {
				again[j] = true
			}
		}
		for _, hits := range found {
			for j, h := range hits {
				if again[j] {
					continue
				}
				if i := qs[j]; cands[i] == nil {
					cands[i] = h
				} else {
					cands[i] = append(cands[i], h...)
				}
			}
		}
		if !more {
			break
		}
		var next []int
		var sub [][]float32
		for j, a := range again {
			if a {
				next = append(next, qs[j])
				sub = append(sub, queries[qs[j]])
			}
		}
		if len(next) < m { // else q holds these queries already, in this order
			q.Free()
			if q, err = s.uploadQueries(sub); err != nil {
				return nil, opErr(err, "search")
			}
		}
		qs = next
	}
	for i, c := range cands {
		if len(parts) > 1 {
			slices.SortFunc(c, s.compareHits)
		}
		if len(c) > 0 {
			res[i] = c[:min(k, len(c))]
		}
	}
	return res, nil
}

// build makes the lazy top-k scan of each part for queries q (through
// the part's mask, when it has one) and returns their values and
// indices.
func (s *Store) build(q *engine.Array, parts []*part) ([]*engine.Array, error) {
	var outs []*engine.Array
	larger := s.cfg.metric.larger()
	for _, p := range parts {
		scores, err := s.scores(q, p.a.x, p.a.scales)
		if err != nil {
			return nil, err
		}
		if p.mask != nil {
			if scores, err = engine.MaskRows(scores, p.mask, larger); err != nil {
				return nil, err
			}
		}
		if p.vals, p.index, err = engine.TopK(scores, p.k, larger); err != nil {
			return nil, err
		}
		outs = append(outs, p.vals, p.index)
		if p.mapsOnDevice(q.Shape()[0]) {
			if p.ids, err = engine.Gather(p.a.xids, p.index); err != nil {
				return nil, err
			}
			outs = append(outs, p.ids)
		}
	}
	return outs, nil
}

// readBack returns the arrays collect reads of every part: the values,
// and the ids, or the rows when they are not mapped on the device (the
// engine copies them to the host within the search's submission, see
// engine.EvalRead).
func readBack(parts []*part) []*engine.Array {
	var rs []*engine.Array
	for _, p := range parts {
		if p.ids != nil {
			rs = append(rs, p.vals, p.ids)
		} else {
			rs = append(rs, p.vals, p.index)
		}
	}
	return rs
}

// mapOnDeviceDefault is the fewest results (queries times k) of an
// arena's scan whose rows a search maps to ids on the device
// (mapOnDeviceMin, which the package's tests lower to 1, so that every
// search of theirs on a device maps on the device). Below it the
// gather's launches cost more than the host's reads of the ids save.
// The host reads an id a result at random in the arena's ids, about 20
// ns each once they miss the cache: run 28 C's profile of embench's
// single float32 query at k = 4096 over 1M rows on an H100 host spent 85
// us a search in that loop (0.12 ms in collect, of 1.39 ms end to end),
// and mapping on the device took 1.31 ms against 1.37 (run 28 B; float16
// 0.723 against 0.708, 64 float16 queries at k = 100 1.17 against 1.27,
// within the calls' spread). Run 21 had found one query and 64 queries
// at k = 100 0.03-0.05 ms slower mapped, with the same queries searched
// every time, their ids in the host's cache.
const mapOnDeviceDefault = 2048

var mapOnDeviceMin = mapOnDeviceDefault

// collect reads a part's scan: per query, its first k passing hits in
// order (ties by id), or nil for a query whose hits may not be exact (see
// scan): those are returned too, ascending, to be scanned again.
//
// It builds the hits from views of the scan's results (engine.View: the
// backend's memory, or the copies read ahead in the search's submission)
// rather than reading copies of them first.
//
// With the ids mapped on the device (p.ids), the rows are read back too
// only when some result scores as the mask scores the excluded rows (the
// worst score of the order): only such a result may be an excluded row.
//
// The hits go into pre when it is not nil (a hitSlab of m queries of p.k
// hits, waited for), else into memory collect allocates.
func (s *Store) collect(p *part, m, k int, pre *hitSlab) ([][]Hit, []int, error) {
	src := p.index // rows, or ids when mapped
	if p.ids != nil {
		src = p.ids
	}
	var rowOf []int64 // mapped: the rows, read if needed
	out := make([][]Hit, m)
	again := make([]bool, m)
	build := func(views [][]byte) error {
		vals, index := engine.Float32s(views[0]), engine.Int64s(views[1])
		if p.ids != nil && p.bits != nil && rowOf == nil && slices.Contains(vals, s.maskedScore()) {
			return errMasked
		}
		par.Rows(m, 8*p.k, func(lo, hi int) { // about 8 values of work a hit
			room := pre.query // query i's room for its hits: length 0, capacity p.k
			if pre == nil {
				slab := make([]Hit, (hi-lo)*p.k)
				room = func(i int) []Hit {
					j := (i - lo) * p.k
					return slab[j:j:(j + p.k)]
				}
			}
			for i := lo; i < hi; i++ {
				kept := room(i)
				qv := vals[i*p.k : (i+1)*p.k]
				whole := false // kept[j] is result j of the query
				switch {
				case p.ids != nil && rowOf == nil:
					// Every result is a hit: one pass, without a check.
					kept = kept[:p.k]
					for j, id := range index[i*p.k : (i+1)*p.k] {
						kept[j] = Hit{id, qv[j]}
					}
					whole = true
				case p.ids != nil:
					for j := i * p.k; j < (i+1)*p.k; j++ {
						if p.passes(int(rowOf[j])) {
							kept = append(kept, Hit{index[j], vals[j]})
						}
					}
				default:
					for j := i * p.k; j < (i+1)*p.k; j++ {
						if r := int(index[j]); p.passes(r) {
							kept = append(kept, Hit{p.a.ids[r], vals[j]})
						}
					}
				}
				if p.k < p.n && len(kept) < p.passing {
					if len(kept) < k || !s.worse(qv[p.k-1], kept[k-1].Score) {
						again[i] = true
						continue
					}
				}
				if whole {
					sortTiesBy(kept, qv)
				} else if hasTies(qv) {
					s.sortTies(kept)
				}
				out[i] = kept[:min(k, len(kept)):min(k, len(kept))]
			}
		})
		return nil
	}
	err := engine.View([]*engine.Array{p.vals, src}, build)
	if errors.Is(err, errMasked) {
		if rowOf, err = p.index.Int64(); err == nil {
			err = engine.View([]*engine.Array{p.vals, src}, build)
		}
	}
	if err != nil {
		return nil, nil, err
	}
	var redo []int
	for i, a := range again {
		if a {
			redo = append(redo, i)
		}
	}
	return out, redo, nil
}

// A hitSlab is the memory of a search's hits, allocated and written once
// a page (faulted in) by goroutines of its own while the host waits for
// the device's scan, so that collect writes the hits into memory the
// process already holds. Fresh memory costs a page fault a page: in run
// 28 A's trace of 64 float16 queries at k = 4096 over 1M rows on an H100
// host, the 263K hits (4.2 MB of fresh heap, while the process's heap
// grew toward its next collection) took 0.87 ms of host after 0.89 ms
// of kernels; on the 2-core development machine a search of 64 queries at
// k = 4096 took about 1,000 page faults until the heap had been
// collected once, and 16 after.
type hitSlab struct {
	k, per int     // hits a query, queries a chunk
	chunks [][]Hit // per queries of k hits each
	done   sync.WaitGroup
}

// slabMin is the fewest hits (queries times the scan's k) a search on a
// device puts in a hitSlab: 16 KiB of them, four pages. Below it the
// hits fit in a few pages, which collect faults in itself. On an H100's
// host a single float16 query at k = 4096 spent a median 32 us in
// collect for its 4096 hits when collect allocated them (run 31 E, a Go
// trace of the store's regions: bench/cuda/results/run31e_gotrace.txt),
// where in memory already faulted in a hit takes under 1 ns; in a slab,
// the host's time after the search's last driver call fell from 62-77
// us to 26-40 (run 31 F, run31f_storeprof.txt). A single query at k =
// 1000 (1004 hits) stays below it.
var slabMin = 1 << 10

// prefaultMin is the fewest hits of a hitSlab's chunk: 1 MiB of them.
var prefaultMin = 1 << 16

// pageHits is how many hits a 4 KiB page holds.
const pageHits = 4096 / int(unsafe.Sizeof(Hit{}))

// newHitSlab starts allocating and faulting in k hits for each of m
// queries: a goroutine a chunk of at least prefaultMin hits (1 MiB; one
// query in the tests), up to GOMAXPROCS of them (a device's scan shorter
// than their faults leaves them as many hands as collect's loop has).
func newHitSlab(m, k int) *hitSlab {
	n := max(1, min(runtime.GOMAXPROCS(0), m*k/prefaultMin, m))
	sl := &hitSlab{k: k, per: (m + n - 1) / n}
	sl.chunks = make([][]Hit, (m+sl.per-1)/sl.per)
	for c := range sl.chunks {
		size := (min(m, (c+1)*sl.per) - c*sl.per) * k
		sl.done.Go(func() {
			defer trace.StartRegion(context.Background(), "store.slab").End()
			h := make([]Hit, size)
			for i := 0; i < size; i += pageHits {
				h[i] = Hit{}
			}
			sl.chunks[c] = h
		})
	}
	return sl
}

// wait waits for sl's goroutines (none when sl is nil).
func (sl *hitSlab) wait() {
	if sl != nil {
		sl.done.Wait()
	}
}

// query returns the room for query i's hits: length 0, capacity k. Call
// wait first.
func (sl *hitSlab) query(i int) []Hit {
	j := i % sl.per * sl.k
	return sl.chunks[i/sl.per][j : j : j+sl.k]
}

// errMasked stops collect's view of a mapped scan whose results hold the
// masked score: the rows must be read first (rowOf).
var errMasked = errors.New("store: a masked score among the results")

// hostBufs are a search's buffers on the host, kept between searches
// (hostBufPool): its queries' copy before their upload (which copies
// them). A fresh slice must be zeroed and faulted in each time (on the
// 2-core development machine a fresh 256 KiB slice and its copy took
// 48-70 us against 7 reused). The scan's results are not copied at all
// (collect views them).
type hostBufs struct {
	raw  []byte    // the queries, float16
	flat []float32 // the queries, float32
}

// hostBufMax is the most bytes of a buffer a hostBufs goes back to the
// pool with; larger ones are kept only for the one search.
const hostBufMax = 4 << 20

// hostBufPool holds the hostBufs of up to two searches, kept across
// garbage collections (a sync.Pool is emptied by them, and a search at a
// large k makes enough garbage that its buffers were fresh memory most
// times: over 20K rows on the CPU, 64 queries at k = 4096 took 138-145
// page faults a search with a sync.Pool, 64-75 with this, when the pool
// also held the scan's results, which collect now views instead). A concurrent
// search past the two makes its own.
var hostBufPool = make(chan *hostBufs, 2)

// getHostBufs takes a hostBufs from the pool.
func getHostBufs() *hostBufs {
	select {
	case hb := <-hostBufPool:
		return hb
	default:
		return new(hostBufs)
	}
}

// put returns hb to the pool, dropping buffers over hostBufMax.
func (hb *hostBufs) put() {
	if cap(hb.raw) > hostBufMax {
		hb.raw = nil
	}
	if 4*cap(hb.flat) > hostBufMax {
		hb.flat = nil
	}
	select {
	case hostBufPool <- hb:
	default:
	}
}

// maskedScore is the score engine.MaskRows gives excluded rows: the worst
// of the order.
func (s *Store) maskedScore() float32 {
	if s.cfg.metric.larger() {
		return float32(math.Inf(-1))
	}
	return float32(math.Inf(1))
}

// worse reports whether score a ranks strictly after score b (NaN after
// every number; a NaN b leaves nothing after it).
func (s *Store) worse(a, b float32) bool {
	switch {
	case b != b:
		return true
	case a != a:
		return true
	case s.cfg.metric.larger():
		return a < b
	}
	return a > b
}

// sameScore reports whether a and b tie: equal, or both NaN.
func sameScore(a, b float32) bool { return a == b || a != a && b != b }

// hasTies reports whether sorted scores v hold a run of tied ones
// (sameScore), which sortTies must put in id order: most searches have
// none, and the check is a fraction of sortTies's.
func hasTies(v []float32) bool {
	for j := 1; j < len(v); j++ {
		if sameScore(v[j], v[j-1]) {
			return true
		}
	}
	return false
}

// sortTies puts each run of equal scores of hits (sorted by score) in id
// order.
func (s *Store) sortTies(hits []Hit) {
	for lo := 0; lo < len(hits); {
		hi := lo + 1
		for hi < len(hits) && sameScore(hits[hi].Score, hits[lo].Score) {
			hi++
		}
		if hi-lo > 1 {
			slices.SortFunc(hits[lo:hi], func(a, b Hit) int { return cmpID(a.ID, b.ID) })
		}
		lo = hi
	}
}

// sortTiesBy is sortTies for hits whose scores are v (hits[j].Score ==
// v[j]): it finds the runs in v, a scan of contiguous float32s, and
// touches hits only where one is (most searches have none; 64 float16
// queries at k = 4096 on run 26's H100 host spent 1.3 ms of CPU a search
// in sortTies's scan of the hits, for a tie or two a query).
func sortTiesBy(hits []Hit, v []float32) {
	for j := 1; j < len(v); j++ {
		if !sameScore(v[j], v[j-1]) {
			continue
		}
		lo := j - 1
		for j+1 < len(v) && sameScore(v[j+1], v[lo]) {
			j++
		}
		slices.SortFunc(hits[lo:j+1], func(a, b Hit) int { return cmpID(a.ID, b.ID) })
	}
}

// parts plans the scan of each arena that has passing rows. An arena
// with rows excluded (deleted or filtered out) gets the bitmap of its
// passing rows (Filter.bitmaps), uploaded (n/8 bytes) for its scan to
// read (engine.MaskRows, which the scheduler fuses into the scan), so the
// scan covers the arena whole, never writes the full score matrix, and
// is asked for k results (plus tieSlack, for ties) whatever the share
// excluded. On a backend without engine.OpMaskRows (a compat peer may
// lack it) the scan is asked for k plus the excluded rows plus
// tieSlack, and the excluded ones are dropped afterwards. Either way k
// hits come back when k pass.
func (s *Store) parts(k int, f Filter) ([]*part, error) {
	bits, passing := f.bitmaps(s)
	masks := true
	if sub, ok := s.e.Backend().(engine.OpSubset); ok && !sub.Implements(engine.OpMaskRows) {
		masks = false
	}
	var parts []*part
	for ai, a := range s.arenas {
		if passing[ai] == 0 {
			continue
		}
		p := &part{a: a, bits: bits[ai], passing: passing[ai], n: a.n()}
		parts = append(parts, p)
		want := min(k, p.passing) // k may be near MaxInt
		switch {
		case p.bits == nil:
			p.k = min(p.n, want+tieSlack(want))
		case masks:
			p.k = min(p.n, want+tieSlack(want))
			var err error
			if p.mask, err = s.e.FromInt32(p.bits, len(p.bits)); err != nil {
				return parts, err
			}
		default:
			p.k = min(p.n, want+(p.n-p.passing)+tieSlack(want))
		}
	}
	return parts, nil
}

// tieSlack is how many results past the k-th an arena's scan returns:
// one shows whether a run of equal scores crosses the k-th place, and
// the rest see such a run whole, without a second scan, unless it is
// longer (17 at k = 4096). Over 1M random float32 rows the scores near
// the 4096th are about 16 units in the last place apart, so about one
// query in 16 has a tie there (run 24 on an H100: 1024 float32 queries
// at k = 4096 took 54 ms end to end with k + 1 results, 24 of them the
// scan's).
func tieSlack(k int) int { return 1 + k/256 }

// compareHits orders hits best first, ties by the smaller id, NaN last.
func (s *Store) compareHits(a, b Hit) int {
	an, bn := a.Score != a.Score, b.Score != b.Score
	switch {
	case an != bn:
		if an {
			return 1
		}
		return -1
	case !an && a.Score != b.Score:
		if (a.Score > b.Score) == s.cfg.metric.larger() {
			return -1
		}
		return 1
	}
	return cmpID(a.ID, b.ID)
}

// uploadQueries makes the [m, dim] query array in the dtype the scan
// wants: the storage dtype for float16, float32 otherwise (int8 rows are
// dequantized to float32 inside the scan). Under Cosine each query is
// scaled by its largest magnitude first (see flatten).
//
// The host's copy of the queries is made in one pass over them (a row
// scaled into a worker's scratch row and converted from there, for
// float16) into a buffer kept between searches (hostBufs), which the
// upload copies: 1024 queries of 768 float16 values took 0.77 ms of the
// host's before the first driver call on run 22's H100 host, scaled into
// a fresh float32 copy and converted into a fresh one.
func (s *Store) uploadQueries(queries [][]float32) (*engine.Array, error) {
	m, d := len(queries), s.cfg.dim
	qb := getHostBufs()
	defer qb.put()
	var q *engine.Array
	var err error
	if s.cfg.dtype == engine.Float16 {
		qb.raw = slices.Grow(qb.raw[:0], 2*m*d)[:2*m*d]
		par.Rows(m, d, func(lo, hi int) {
			row := make([]float32, d)
			for i := lo; i < hi; i++ {
				s.scaleRow(row, queries[i], true)
				half.EncodeFloat16(qb.raw[2*i*d:2*(i+1)*d], row)
			}
		})
		q, err = s.e.FromBytes(qb.raw, engine.Float16, m, d)
	} else {
		qb.flat = slices.Grow(qb.flat[:0], m*d)[:m*d]
		q, err = s.e.FromFloat32(s.flattenInto(qb.flat, queries, identity(m), true), m, d)
	}
	if err != nil {
		return nil, opErr(err, "search: upload queries")
	}
	return q, nil
}

// scores builds the [m, n] scores of the queries against rows x (with
// scales sc for int8), which the scheduler fuses with the top-k into one
// scan: a matmul with the rows transposed (Cosine normalizes the queries
// inside it; the rows are unit already), or the L2 distance.
func (s *Store) scores(q, x, sc *engine.Array) (*engine.Array, error) {
	var err error
	if sc != nil {
		if x, err = engine.Dequantize(x, sc); err != nil {
			return nil, err
		}
	}
	metric, normalize := s.cfg.metric.scan()
	if normalize {
		// A Normalize per scan, so that each scan absorbs its own.
		if q, err = engine.Normalize(q); err != nil {
			return nil, err
		}
	}
	if metric == engine.MetricL2 {
		return engine.L2Distance(q, x)
	}
	return engine.MatMul(q, x, false, true)
}
