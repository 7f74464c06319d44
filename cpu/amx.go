package cpu

import (
	"math"
	"math/bits"
	"slices"
	"sync"
	"sync/atomic"
	"unsafe"

	"github.com/silica-go/silica/engine"
	"github.com/silica-go/silica/half"
)

// The screened scan: a dot, cosine or L2 scan of many queries scores every
// (query, row) pair first on the tile unit (AMX) in bfloat16, each value
// split into a high and a low part so that the three products hi·hi,
// hi·lo and lo·hi carry about 16 bits of each operand, and keeps, per
// query, only the rows whose approximate score could still be among the k
// best; those few are then scored again by dot or sqDist (rowScore), as
// every other path scores them, and offered to the query's selection as usual. The
// results are therefore the scan's own float32 results, bit for bit (see
// TestScanBatchInvariant), and no row of the top k is ever dropped:
//
// Let A be a row's approximate score, F its float32 score and S the real
// one, all scaled by the row's factor f (scale and inverse norm), and g
// the row's norm times f. Both |A - S| and |F - S| are at most e·|q|·g
// (amxErr), so F <= U = A + e·|q|·g. Any k rows with A >= θ have F >=
// θ - e·|q|·G, G the largest of their g: the k-th best F of the whole scan
// is at least L = θ - e·|q|·G, and a row with U < L cannot rank among the
// k best.
//
// Before the scan, a sample of rows spread over the store is scored and
// each query's L guessed from it (amxSample, guess), so that from the
// first row on only rows near the k best pass. Each worker gathers, per
// query, the rows that pass (U >= the query's bound, shared by the
// workers); when a query's candidates reach a few k, their k-th best A
// proves an L, which raises the bound, and the candidates below it are
// dropped. At the end L is proved once more from the k best A of all the
// candidates: the guess must not be above it (else rows it dropped could
// rank among the k best, and every row is scored exactly for that query,
// which a sample 4σ off makes rare), and the candidates with U >= L are
// scored exactly, each row read once for all its queries.

// Blocking of the screened scan: amxDots scores 32 rows against blocks of
// 16 queries; amxTileRows rows are converted to bfloat16 at a time and
// scored against amxQueryChunk queries at a time, whose packed parts (768
// KiB at d = 768) stay in the L2 cache while the tile's rows go by.
const (
	amxRows       = 32
	amxQueries    = 16
	amxTileRows   = 128
	amxQueryChunk = 256
)

// amxCandidateCost is the products of the tile kernels' scan (n·d a
// query) that a screened scan's candidate costs, at the crossing of the
// two: store.SearchBatch over rows of 768 on the 2-core development
// machine (float32 and float16 alike; ms, screened against the tile
// kernels), 1024 queries over 10,000 rows at k = 1000 127 against 211,
// at k = 2000 214 against 236, at k = 4096 463 against 278; over 30,000
// rows at k = 2000 292 against 581, at k = 4096 482 against 709; over
// 50,000 rows at k = 4096 544 against 1026 (64 queries: 9.4 against
// 11.7, 13.1 against 13.7, 22.9 against 15.9; 24.3 against 30.5, 32.4
// against 39.3; 42.8 against 58.7). Those scans' candidates over n·d are
// 1/1470, 1/1000 and 1/780; 1/1910 and 1/1220; 1/1670.
const amxCandidateCost = 1000

// amxMinQueries is the fewest queries for which a scan is screened: with
// fewer, reading the rows dominates and the float32 kernels keep up.
// amxCostCheck keeps scans whose k is large next to their rows on the
// tile kernels (amxUsable); the tests turn it off, and count the screened
// scans in amxScans.
var (
	amxMinQueries = 16
	amxCostCheck  = true
	amxScans      atomic.Int64
)

// amxDots and amxHits are the screened scan's kernels (amx_amd64.s), nil
// where the machine has no tile unit; amxDotsGo and amxHitsGo compute the
// same in Go, for the tests on other machines.
var (
	amxDots func(cfg *[64]byte, ah, al []uint16, ars int, bh, bl []uint16, ksteps, nqb int, c []float32)
	amxHits func(c, f, bias, g, l, eq []float32, nqb int, masks []uint16) int
)

// amxConfig is the tile configuration the kernels load: palette 1, eight
// tiles of 16 rows of 64 bytes.
var amxConfig = func() *[64]byte {
	var cfg [64]byte
	cfg[0] = 1
	for t := range 8 {
		cfg[16+2*t] = 64
		cfg[48+t] = 16
	}
	return &cfg
}()

// screenErr is e of the screen's bound for rows of d elements, for the
// kernels in use: amxErr for the tile unit's three products, dpErr for
// AVX-512 BF16's one (dpbf16DotsGo); screenUnit names the assembly
// kernels in use ("amx", "avx512bf16"), "" when none.
var (
	screenErr  = amxErr
	screenUnit = ""
)

// dpbf16DotsGo is amxDots as VDPBF16PS computes it (dpbf16_amd64.s): the
// high parts' products only, each exact in float32, added one at a time
// (a pair's odd element first) in float32; the low parts are not read.
// On a machine without the tile unit the dot products of the AVX-512 BF16
// instructions give twice the float32 kernels' products a cycle, which
// one product of the high parts keeps (three would give less than the
// float32 kernels); its error bound (dpErr) is about 2^-8 of |q|·|x|
// against the three products' 2^-16, so more rows pass the screen, a few
// per query beyond the k best on random rows.
func dpbf16DotsGo(_ *[64]byte, ah, _ []uint16, ars int, bh, _ []uint16, ksteps, nqb int, c []float32) {
	eachDot(ars, ksteps, nqb, c, func(acc float32, qb, s, r, n int) float32 {
		rh, th := stepParts(ah, bh, ars, ksteps, qb, s, r)
		for p := range 16 {
			acc += bf16f(rh[2*p+1]) * bf16f(th[p*32+2*n+1])
			acc += bf16f(rh[2*p]) * bf16f(th[p*32+2*n])
		}
		return acc
	})
}

// eachDot runs amxDots's sums in Go: for each query block qb, step s,
// row r and query n of the block, in that order, the sum so far (from 0)
// becomes add's.
func eachDot(ars, ksteps, nqb int, c []float32, add func(acc float32, qb, s, r, n int) float32) {
	for qb := range nqb {
		out := c[qb*amxRows*amxQueries : (qb+1)*amxRows*amxQueries]
		clear(out)
		for s := range ksteps {
			for r := range amxRows {
				for n := range amxQueries {
					out[r*amxQueries+n] = add(out[r*amxQueries+n], qb, s, r, n)
				}
			}
		}
	}
}

// stepParts returns row r's 32 elements of step s in a (row stride ars
// bytes) and query block qb's B tile of step s in b.
func stepParts(a, b []uint16, ars, ksteps, qb, s, r int) ([]uint16, []uint16) {
	rs := ars / 2
	return a[r*rs+s*32 : r*rs+s*32+32], b[(qb*ksteps+s)*512 : (qb*ksteps+s+1)*512]
}

// dpErr is e of the screen's bound for dpbf16DotsGo's products of rows of
// d elements: each operand's rounding to bfloat16 (2^-9 of it, so 2^-8 +
// 2^-18 of |q|·|x| over the products), the float32 additions of the d
// products (one rounding each, counted twice) and of dot's d products,
// with a margin of 25%. VDPBF16PS flushes subnormal inputs and outputs to
// zero, as the tile unit does (see amxErr for why the margin holds that).
func dpErr(d int) float64 {
	return 1.25 * (0x1p-8 + 0x1p-18 + float64(2*d+d+16)/(1<<24))
}

// amxDotsGo is amxDots in Go: the three products accumulated in float32
// in the order of the tile unit's steps (its roundings may differ: the
// screen's bound allows for that).
func amxDotsGo(_ *[64]byte, ah, al []uint16, ars int, bh, bl []uint16, ksteps, nqb int, c []float32) {
	eachDot(ars, ksteps, nqb, c, func(acc float32, qb, s, r, n int) float32 {
		rh, th := stepParts(ah, bh, ars, ksteps, qb, s, r)
		rl, tl := stepParts(al, bl, ars, ksteps, qb, s, r)
		for _, pr := range [3]struct{ a, b []uint16 }{{rh, th}, {rh, tl}, {rl, th}} {
			for p := range 16 {
				acc += bf16f(pr.a[2*p])*bf16f(pr.b[p*32+2*n]) + bf16f(pr.a[2*p+1])*bf16f(pr.b[p*32+2*n+1])
			}
		}
		return acc
	})
}

// amxHitsGo is amxHits in Go.
func amxHitsGo(c, f, bias, g, l, eq []float32, nqb int, masks []uint16) int {
	hits := 0
	for qb := range nqb {
		for r := range amxRows {
			var m uint16
			row := c[(qb*amxRows+r)*amxQueries:][:amxQueries]
			for n := range row {
				row[n] = float32(float64(row[n])*float64(f[r]) + float64(bias[r]))
				q := qb*amxQueries + n
				if row[n] >= float32(float64(loadF32(&l[q]))-float64(eq[q])*float64(g[r])) {
					m |= 1 << n
				}
			}
			masks[qb*amxRows+r] = m
			if m != 0 {
				hits++
			}
		}
	}
	return hits
}

// loadF32 and raiseF32 read and raise (to v, if above) a float32 shared
// between workers.
func loadF32(p *float32) float32 {
	return math.Float32frombits(atomic.LoadUint32((*uint32)(unsafe.Pointer(p))))
}

func raiseF32(p *float32, v float32) {
	u := (*uint32)(unsafe.Pointer(p))
	for {
		old := atomic.LoadUint32(u)
		if !(v > math.Float32frombits(old)) || atomic.CompareAndSwapUint32(u, old, math.Float32bits(v)) {
			return
		}
	}
}

func bf16f(h uint16) float32 { return half.BFloat16(h).Float32() }

// splitBF16 returns v's nearest bfloat16 (ties to even) and the nearest
// bfloat16 to the rest, v - hi, which float32 holds exactly. v is finite
// and below 2^127 in magnitude.
func splitBF16(v float32) (hi, lo uint16) {
	hi = roundBF16(v)
	return hi, roundBF16(v - bf16f(hi))
}

// splitRow is splitBF16 of each value of x into hi and lo; it returns the
// float32 sum of the squares of x, in an order of its own (set with the
// tile kernels: AVX-512 on amd64).
var splitRow = splitBF16Go

func splitBF16Go(hi, lo []uint16, x []float32) float32 {
	var ss float32
	for e, v := range x {
		hi[e], lo[e] = splitBF16(v)
		ss += v * v
	}
	return ss
}

func roundBF16(v float32) uint16 { return uint16(half.BFromFloat32(v)) }

// amxErr is e of the screen's bound for rows of d elements: the two
// dropped terms of the split (lo·lo and the low parts' own rounding, 3.1 ·
// 2^-16 of |q|·|x|), float32 accumulation of the 3d products on the tile
// unit and of the d products of dot (one rounding each, at most the sum of
// the magnitudes times 2^-24, counted twice in case the tile unit rounds
// each half of a pair), with a margin of 25%. The tile unit also flushes
// subnormal parts, products and sums to zero, an error of at most about
// 3d·2^-126 + 2^-126·√d·(|q| + |x|): with |q| and |x| at least 2^-40
// (amxUsable and prepare send smaller ones to the float32 kernels), under
// 10^-8 of |q|·|x| up to d = 10^5, which the margin holds.
func amxErr(d int) float64 {
	return 1.25 * (3.2/65536 + float64(6*d+d+16)/(1<<24))
}

// amxQueryPack holds the queries in the tile unit's B layout: for block qb
// of 16 queries and step s of 32 elements, a 1 KiB tile of 16 element
// pairs x 16 queries x 2; hi and lo parts apart.
type amxQueryPack struct {
	hi, lo      []uint16
	nqb, ksteps int
	norm        []float64 // |q| of each query
}

func (c *Backend) packQueries(q []float32, m, d int) *amxQueryPack {
	ks := (d + 31) / 32
	nqb := (m + amxQueries - 1) / amxQueries
	p := &amxQueryPack{hi: make([]uint16, nqb*ks*512), lo: make([]uint16, nqb*ks*512), nqb: nqb, ksteps: ks, norm: make([]float64, m)}
	c.parallelFor(m, 64, func(lo, hi int) {
		// A query's parts, split in a row, then an element pair (one
		// uint32) at a time to its place: pair e/2 of step s at pair row
		// e%32/2 of the step's tile, column n (the query's place in its
		// block).
		hr, lr := make([]uint16, ks*32), make([]uint16, ks*32)
		for i := lo; i < hi; i++ {
			qb, n := i/amxQueries, i%amxQueries
			v := q[i*d : (i+1)*d]
			p.norm[i] = math.Sqrt(sumSquares(v))
			splitRow(hr, lr, v)
			clear(hr[d:])
			clear(lr[d:])
			for e := 0; e < ks*32; e += 2 {
				at := (qb*ks+e/32)*512 + (e%32/2)*32 + 2*n
				p.hi[at], p.hi[at+1] = hr[e], hr[e+1]
				p.lo[at], p.lo[at+1] = lr[e], lr[e+1]
			}
		}
	})
	return p
}

// amxBand is one query's candidates in a worker: the approximate score A,
// g and the row of each. When limit candidates have gathered, the k-th
// best of their A raises the query's L and the candidates that can no
// longer rank among the k best are dropped (prune): a selection every
// few hundred candidates instead of a heap's step for each.
type amxBand struct {
	cands []amxCand
	limit int // the length at which the candidates are pruned
}

// amxCand is a candidate row r with its approximate score v (its g is
// in the worker's gRow).
type amxCand struct {
	v float32
	r int32
}

// amxShared is what a screened scan's workers share: the packed queries,
// each query's bound l (raised by any worker; +Inf for the padding of the
// last block, so that it never passes) and eq (rounded up; 0 for
// padding), so that a row passes when v >= l - eq·g.
//
// For a dot or cosine scan v is the approximate score A, eq = e·|q| and
// l = L. An L2 scan ranks by P = |q|² - D (D the squared distance:
// larger P, closer row), which the tile unit gives as v = 2s·(q·x) -
// s²·|x|² + 4c2·g² (s the row's scale, g = s·|x|, the last term from the
// row's bias; the constant |q|² left out, as it is the same for every
// row of a query). With c2 = 1.25·(d+16)·2^-24, the float32 distance F
// is within c2·(|q| + g)² <= 2c2·(|q|² + g²) of D, and so (with eq =
// 2e·|q| now) F' = |q|² - F is at most U = v + eq·g + 2c2·|q|² and at
// least v - eq·g - 7c2·g² - 2c2·|q|²: k rows with v >= θ give L = θ -
// eq·G - 7c2·G² - cq, cq = 2c2·|q|², and the rows that pass are those
// with U >= L, v >= (L - cq) - eq·g: l = L - cq. For a dot scan c2 and
// cq are 0.
//
// l may start from a guess (see guess), not a bound: valid is the bound
// the candidates proved, raised with l by prune, and amxScan compares
// the guess with the candidates' final L.
type amxShared struct {
	p            *amxQueryPack
	l, eq        []float32
	valid, guess []float32
	fac          []float32   // each row's rowFactor, set by the scan (NaN: scored exactly, not screened)
	rows         *screenRows // the rows converted, when cached (screencache.go)
	cq           []float64
	c2           float64
}

// amxWorker is a worker's part of a screened scan.
type amxWorker struct {
	j      *scanJob
	s      *amxShared
	k      int
	band   []amxBand
	g      float64 // the largest g of the rows seen
	ah, al []uint16
	fa, gr []float32 // row factors (NaN for rows not screened) and g (rounded up)
	bias   []float32 // added to each row's scaled score (L2: see amxShared)
	c      []float32
	masks  []uint16
	row    []float32
	vs     []float32 // the candidates' A, reordered by kthLargest
	qlo    int       // the queries of the current scan call: [qlo, qhi)
	qhi    int
	sel    []*selector // exact selections of rows the screen cannot take
	o      order
	gRow   []float32 // g (rounded up) of each row this worker scanned
	// keepFac: this worker sets amxShared.fac of its rows (only one of
	// the workers that scan the same rows does).
	keepFac bool
}

// offer offers candidate (v, r) to query i's exact selection.
func (w *amxWorker) offer(i int, v float32, r int64) {
	if w.sel[i] == nil {
		w.sel[i] = newSelector(w.o, w.k)
	}
	w.sel[i].offer(v, r)
}

// amxWorkers holds the buffers of finished workers (release) for the
// next scans' (newAMXTile): their tiles, and their bands with the room
// their candidates took. Fresh, they were zeroed and the bands grown by
// appending in every scan (in a profile of 1024 queries over 10K rows,
// BenchmarkBatch1024 of package store, 4% of the samples).
var amxWorkers sync.Pool

// resized returns s with length n: s itself when it has the room (its
// values are stale: the worker writes them before reading), else a new
// slice.
func resized[T any](s []T, n int) []T {
	if cap(s) >= n {
		return s[:n]
	}
	return make([]T, n)
}

// newAMXTile returns a worker with a tile's buffers, enough for prepare
// and guess.
func (j *scanJob) newAMXTile(s *amxShared) *amxWorker {
	ks := s.p.ksteps
	old, _ := amxWorkers.Get().(*amxWorker)
	if old == nil {
		old = new(amxWorker)
	}
	w := &amxWorker{
		j: j, s: s, k: j.a.K,
		ah: resized(old.ah, amxTileRows*ks*32), al: resized(old.al, amxTileRows*ks*32),
		fa: resized(old.fa, amxTileRows), gr: resized(old.gr, amxTileRows), bias: resized(old.bias, amxTileRows),
		c:     resized(old.c, amxTileRows*amxQueryChunk),
		masks: resized(old.masks, amxTileRows/amxRows*amxQueryChunk/amxQueries*amxRows),
		row:   resized(old.row, j.d),
		vs:    old.vs[:0],
		gRow:  old.gRow,
		band:  old.band,
	}
	return w
}

func (j *scanJob) newAMXWorker(s *amxShared, o order) *amxWorker {
	w := j.newAMXTile(s)
	// gRow holds stale values past the rows this worker scans, which it
	// never reads.
	w.gRow = resized(w.gRow, len(s.fac))
	// Bands start empty, their candidates at their first (push); the
	// selections likewise at their first candidate.
	w.band = resized(w.band, j.m)
	for i := range w.band {
		w.band[i] = amxBand{cands: w.band[i].cands[:0]}
	}
	w.sel = make([]*selector, j.m) // the caller's after the scan
	w.o = o
	return w
}

// release gives w's buffers to the next scans. w must not be used after;
// its selections are not its own any more (the scan returns them).
func (w *amxWorker) release() {
	*w = amxWorker{ah: w.ah, al: w.al, fa: w.fa, gr: w.gr, bias: w.bias, c: w.c, masks: w.masks, row: w.row, vs: w.vs, gRow: w.gRow, band: w.band}
	amxWorkers.Put(w)
}

// prepare converts the tile's rows for the tile unit: slot r (r < nt)
// holds row r0+r, or sample[r0+r] with a sample. A row bfloat16 cannot
// hold is scored exactly here (skipped in a sample), and it and a masked
// row get a NaN factor, so that they never pass; so do the slots past nt
// up to a whole block.
//
// With the rows cached (amxShared.rows), a tile of consecutive rows is
// read from the cache in place (scan) and only the factors are set here;
// a sample's rows are copied from it.
func (w *amxWorker) prepare(r0, nt int, sample []int) {
	j, dp := w.j, w.s.p.ksteps*32
	d := j.d
	nan := float32(math.NaN())
	cache := w.s.rows
	for r := range (nt + amxRows - 1) / amxRows * amxRows {
		ah, al := w.ah[r*dp:(r+1)*dp], w.al[r*dp:(r+1)*dp]
		if r >= nt {
			clear(ah)
			clear(al)
			w.fa[r], w.gr[r], w.bias[r] = nan, 0, 0
			continue
		}
		x := r0 + r
		if sample != nil {
			x = sample[x]
		}
		var row []float32 // the row's values, loaded where needed
		var ss float32
		if cache != nil {
			ss = cache.ss[x]
			if sample != nil {
				copy(ah, cache.hi[x*dp:(x+1)*dp])
				if cache.lo != nil {
					copy(al, cache.lo[x*dp:(x+1)*dp])
				}
			}
		} else {
			if sample == nil && r+amxPrefetch < nt {
				// Ask for a row ahead, so that its read overlaps this row's
				// conversion (64 queries over 10K rows: 13% faster).
				rb := d * j.x.DType.Size()
				prefetch(j.x.b[(x+amxPrefetch)*rb : (x+amxPrefetch+1)*rb])
			}
			row = load(j.x.DType, j.x.b, x*d, d, w.row)
			// The split brings the row's sum of squares, in the same pass:
			// enough to bound its norm (g). A cosine scan of rows not
			// normalized scales each score by the row's inverse norm from
			// sumSquares32's sum, as every path does.
			ss = splitRow(ah, al, row)
			if j.a.NormB {
				ss = sumSquares32(row)
			}
		}
		f := j.rowFactor(x, ss)
		if sample == nil && w.keepFac {
			w.s.fac[x] = f
		}
		g := math.Sqrt(float64(ss)) * math.Abs(float64(f))
		w.fa[r], w.gr[r], w.bias[r] = f, math.Nextafter32(float32(g), float32(math.Inf(1))), 0
		if sample == nil {
			w.gRow[x] = w.gr[r]
		}
		if w.s.c2 != 0 {
			// L2: 2s·(q·x) - s²·|x|², and 4c2·g² (see amxShared).
			w.fa[r], w.bias[r] = 2*f, float32(-g*g+4*w.s.c2*g*g)
		}
		if !(g <= 1e15) || ss < 0x1p-80 {
			// Too large or not finite for bfloat16, or so small that the
			// tile unit's flushing of subnormal values (and float32's
			// underflow of ss) could pass the bound: scored exactly here.
			if sample == nil {
				if row == nil {
					row = load(j.x.DType, j.x.b, x*d, d, w.row)
				}
				w.exact(x, row)
				if w.keepFac {
					w.s.fac[x] = nan // not screened: no candidate of any query
				}
			}
			w.fa[r], w.gr[r], w.bias[r] = nan, 0, 0
			clear(ah)
			clear(al)
			continue
		}
		if j.bits != nil && !passes(j.bits, x) {
			w.fa[r] = nan
		}
		w.g = max(w.g, g)
		if cache == nil {
			clear(ah[d:])
			clear(al[d:])
		}
	}
}

// amxPrefetch is how many rows ahead prepare asks for a row.
const amxPrefetch = 2

// amxNever is a bound no approximate score passes, for amxHits to scale
// the scores of a sample without keeping any.
var amxNever = func() []float32 {
	l := make([]float32, amxQueryChunk)
	for i := range l {
		l[i] = float32(math.Inf(1))
	}
	return l
}()

// sampleTop scores the sample's rows against query blocks [qb0, qb1) and
// keeps in top (j values a query, from query 0, best first) the j best A
// of each query.
func (w *amxWorker) sampleTop(sample []int, j, qb0, qb1 int, top []float32) {
	w.qlo, w.qhi = qb0*amxQueries, min(qb1*amxQueries, w.j.m)
	ks := w.s.p.ksteps
	dp := ks * 32
	for r0 := 0; r0 < len(sample); r0 += amxTileRows {
		nt := min(amxTileRows, len(sample)-r0)
		w.prepare(r0, nt, sample)
		for q0 := qb0; q0 < qb1; q0 += amxQueryChunk / amxQueries {
			nqb := min(amxQueryChunk/amxQueries, qb1-q0)
			for b := 0; b < nt; b += amxRows {
				c := w.c[b/amxRows*amxQueryChunk*amxRows:]
				amxDots(amxConfig, w.ah[b*dp:], w.al[b*dp:], dp*2, w.s.p.hi[q0*ks*512:], w.s.p.lo[q0*ks*512:], ks, nqb, c)
				amxHits(c, w.fa[b:b+amxRows], w.bias[b:b+amxRows], w.gr[b:b+amxRows], amxNever, w.s.eq[q0*amxQueries:], nqb, w.masks)
			}
			for i := q0 * amxQueries; i < min((q0+nqb)*amxQueries, w.qhi); i++ {
				qb, n := i/amxQueries-q0, i%amxQueries
				t := top[i*j : (i+1)*j]
				for r := range nt {
					v := w.c[(r/amxRows*amxQueryChunk/amxQueries+qb)*amxRows*amxQueries+r%amxRows*amxQueries+n]
					if v > t[j-1] { // never NaN
						at := j - 1
						for at > 0 && v > t[at-1] {
							t[at] = t[at-1]
							at--
						}
						t[at] = v
					}
				}
			}
		}
	}
}

// guess sets each query's bound l to a guess of the L the whole scan will
// reach: the bound from the sample's j-th best A (when it has j), with G
// the largest g of the sample. The guess is not a bound (the sample's j
// best are not k rows): amxScan checks it against the L of the
// candidates. With one chunk of queries, the workers share out the
// sample's rows (each reads fewer) and their j best are merged; else they
// share out the queries.
func (c *Backend) guess(j *scanJob, sh *amxShared, sample []int, at int) {
	nqb, w := sh.p.nqb, c.workers
	byRows := nqb*amxQueries <= amxQueryChunk
	tops := make([][]float32, w)
	gs := make([]float64, w)
	for t := range tops {
		if t == 0 || byRows {
			tops[t] = make([]float32, j.m*at)
			for i := range tops[t] {
				tops[t][i] = float32(math.Inf(-1))
			}
		}
	}
	var mu sync.Mutex
	var tiles []*amxWorker
	defer func() {
		for _, wk := range tiles {
			wk.release()
		}
	}()
	c.parallelTasks(w, func() func(t int) {
		wk := j.newAMXTile(sh)
		mu.Lock()
		tiles = append(tiles, wk)
		mu.Unlock()
		return func(t int) {
			wk.g = 0
			if byRows {
				wk.sampleTop(sample[t*len(sample)/w:(t+1)*len(sample)/w], at, 0, nqb, tops[t])
			} else {
				wk.sampleTop(sample, at, t*nqb/w, (t+1)*nqb/w, tops[0])
			}
			gs[t] = wk.g
		}
	})
	g := slices.Max(gs)
	all := make([]float32, 0, w*at)
	for i := range j.m {
		v := tops[0][(i+1)*at-1]
		if byRows && w > 1 {
			all = all[:0]
			for _, top := range tops {
				all = append(all, top[i*at:(i+1)*at]...)
			}
			v = kthLargest(all, at-1)
		}
		if v > float32(math.Inf(-1)) {
			sh.l[i] = sh.bound(i, v, g)
			sh.guess[i] = sh.l[i]
		}
	}
}

// scan screens rows [lo, hi) for query blocks [qb0, qb1).
func (w *amxWorker) scan(lo, hi, qb0, qb1 int) {
	w.qlo, w.qhi = qb0*amxQueries, min(qb1*amxQueries, w.j.m)
	ks := w.s.p.ksteps
	dp := ks * 32
	ah, al, at := w.ah, w.al, 0 // the tile's parts: at row 0 of ah and al, or at row r0 of the cache
	if c := w.s.rows; c != nil {
		ah = c.hi
		if c.lo != nil {
			al = c.lo
		} else {
			al = c.hi // not read
		}
	}
	for r0 := lo; r0 < hi; r0 += amxTileRows {
		nt := min(amxTileRows, hi-r0)
		w.prepare(r0, nt, nil)
		if w.s.rows != nil {
			at = r0 * dp
		}
		for q0 := qb0; q0 < qb1; q0 += amxQueryChunk / amxQueries {
			nqb := min(amxQueryChunk/amxQueries, qb1-q0)
			l, eq := w.s.l[q0*amxQueries:], w.s.eq[q0*amxQueries:]
			// The tile's blocks first, then each query block's hits over the
			// whole tile: a query's band is visited once a tile, not once
			// a block (the bands of 256 queries outgrow the L2 cache).
			hits := 0
			for b := 0; b < nt; b += amxRows {
				c := w.c[b/amxRows*amxQueryChunk*amxRows:]
				amxDots(amxConfig, ah[at+b*dp:], al[at+b*dp:], dp*2, w.s.p.hi[q0*ks*512:], w.s.p.lo[q0*ks*512:], ks, nqb, c)
				hits += amxHits(c, w.fa[b:b+amxRows], w.bias[b:b+amxRows], w.gr[b:b+amxRows], l, eq, nqb, w.masks[b/amxRows*amxQueryChunk/amxQueries*amxRows:])
			}
			if hits == 0 {
				continue
			}
			for qb := range nqb {
				for b := 0; b < nt; b += amxRows {
					c := w.c[b/amxRows*amxQueryChunk*amxRows:]
					masks := w.masks[b/amxRows*amxQueryChunk/amxQueries*amxRows:]
					for r, m := range masks[qb*amxRows : (qb+1)*amxRows] {
						for m != 0 {
							n := bits.TrailingZeros16(m)
							m &= m - 1
							w.push((q0+qb)*amxQueries+n, c[(qb*amxRows+r)*amxQueries+n], int32(r0+b+r))
						}
					}
				}
			}
		}
	}
}

// exact offers row r (its values row) to every query's exact selection.
func (w *amxWorker) exact(r int, row []float32) {
	j := w.j
	if j.bits != nil && !passes(j.bits, r) {
		return // offered with the worst score at the end, if among the first k masked rows
	}
	f := j.rowFactor(r, j.normSS(row))
	for i := w.qlo; i < w.qhi; i++ {
		w.offer(i, j.rowScore(i, row, f), int64(r))
	}
}

// push adds row r and its approximate score v to query i's band, and
// prunes the band when it is full.
func (w *amxWorker) push(i int, v float32, r int32) {
	b := &w.band[i]
	if b.limit == 0 {
		b.limit = max(amxPruneAt*w.k, 256)
		if b.cands == nil {
			b.cands = make([]amxCand, 0, 64)
		}
	}
	b.cands = append(b.cands, amxCand{v, r})
	if len(b.cands) >= b.limit {
		w.prune(i)
	}
}

// amxPruneAt is the length of a band, in k, at which it is pruned: the
// more, the fewer selections and the more candidates between them.
const amxPruneAt = 4

// prune raises query i's L to θ - e·|q|·G, θ the k-th best A of the
// band (when it holds k), and keeps the candidates whose U = v + eq·g
// is at least L: in float32, against l lowered by more than the sum's
// rounding (at most 2^-23 of |v| + eq·g <= |l| + 2eq·G).
func (w *amxWorker) prune(i int) {
	b := &w.band[i]
	if len(b.cands) >= w.k {
		w.vs = w.vs[:0]
		for _, c := range b.cands {
			w.vs = append(w.vs, c.v)
		}
		l := w.s.bound(i, kthLargest(w.vs, w.k-1), w.g)
		raiseF32(&w.s.valid[i], l)
		raiseF32(&w.s.l[i], l)
	}
	l, eq := float64(loadF32(&w.s.l[i])), w.s.eq[i]
	lo := float32(l - (math.Abs(l)+2*float64(eq)*w.g)/(1<<20) - 1e-30)
	n := 0
	for _, c := range b.cands {
		if c.v+eq*w.gRow[c.r] >= lo {
			b.cands[n] = c
			n++
		}
	}
	b.cands = b.cands[:n]
	b.limit = max(amxPruneAt*w.k, 256, 2*n)
}

// bound is l for query i from k rows whose v is at least theta and g at
// most g (see amxShared).
func (s *amxShared) bound(i int, theta float32, g float64) float32 {
	return roundDown(float64(theta) - float64(s.eq[i])*g - 7*s.c2*g*g - 2*s.cq[i])
}

// roundUp and roundDown return a float32 at or above (below) v, by a
// relative 2^-20 and 1e-30 more than its rounding (room for the float32
// arithmetic of amxHits' comparison).
func roundUp(v float64) float32 {
	return float32(v + math.Abs(v)/(1<<20) + 1e-30)
}

func roundDown(v float64) float32 {
	return float32(v - math.Abs(v)/(1<<20) - 1e-30)
}

// kthLargest returns the n-th largest of v (from 0), reordering v: a
// quickselect whose partitions move each value by its comparison's
// outcome rather than by a branch (the outcomes are random, and a
// mispredicted branch a value cost the Hoare partition before it about
// three times as much: a profile of 1024 queries over 10K rows spent 5%
// of its samples there, BenchmarkBatch1024 of package store). Each round
// moves the values above the pivot to the front, then those not below it
// (the pivot's equals, and NaN) after them, and goes on in the part that
// holds rank n, or returns the pivot.
func kthLargest(v []float32, n int) float32 {
	lo, hi := 0, len(v) // rank n is in [lo, hi)
	for hi-lo > 16 {
		a, b, c := v[lo], v[lo+(hi-lo)/2], v[hi-1]
		p := max(min(a, b), min(max(a, b), c)) // the median of three
		w := lo
		for i := lo; i < hi; i++ {
			x := v[i]
			v[i] = v[w]
			v[w] = x
			w += b2i(x > p)
		}
		if n < w {
			hi = w
			continue
		}
		e := w
		for i := w; i < hi; i++ {
			x := v[i]
			v[i] = v[e]
			v[e] = x
			e += b2i(!(x < p))
		}
		if n < e {
			return p
		}
		lo = e
	}
	// A few values left: an insertion sort, largest first.
	for i := lo + 1; i < hi; i++ {
		x := v[i]
		j := i
		for j > lo && v[j-1] < x {
			v[j] = v[j-1]
			j--
		}
		v[j] = x
	}
	return v[n]
}

// b2i is 1 for true, 0 for false, without a branch.
func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// amxScan is the screened scan of rows [0, n) in chunks of chunk rows
// (whole tiles): it returns one list of exact selections per worker, as
// the other scan methods leave them.
func (c *Backend) amxScan(j *scanJob, n, chunk int) [][]*selector {
	amxScans.Add(1)
	o := order{j.a.Largest}
	p := c.packQueries(j.Q, j.m, j.d)
	nq := p.nqb * amxQueries
	sh := &amxShared{fac: make([]float32, n), p: p, l: make([]float32, nq), eq: make([]float32, nq), valid: make([]float32, nq), guess: make([]float32, nq), cq: make([]float64, j.m)}
	sh.rows = c.screens.rows(c, j, n, p.ksteps*32)
	e := screenErr(j.d)
	if j.a.Metric == engine.MetricL2 {
		sh.c2, e = 1.25*float64(j.d+16)/(1<<24), 2*e
	}
	for i := range sh.l {
		sh.l[i] = float32(math.Inf(1))
		if i < j.m {
			sh.l[i], sh.valid[i], sh.guess[i] = float32(math.Inf(-1)), float32(math.Inf(-1)), float32(math.Inf(-1))
			sh.eq[i] = roundUp(e * p.norm[i])
			sh.cq[i] = 2 * sh.c2 * p.norm[i] * p.norm[i]
		}
	}
	var mu sync.Mutex
	var ws []*amxWorker
	// With a query chunk or more per worker, the workers share out the
	// queries and each scans every row: a query's candidates then come
	// from one worker, whose k-th best covers all rows, for one more
	// conversion of each row (before the sample's guess this gave 40%
	// fewer candidates on 1024 queries over 10K rows; with it, both ways
	// measured alike). Else they share out the rows.
	tasks, qparts := (n+chunk-1)/chunk, 1
	if chunks := (p.nqb*amxQueries + amxQueryChunk - 1) / amxQueryChunk; chunks >= c.workers && c.workers > 1 {
		tasks, qparts = c.workers, c.workers
	}
	if sample, at := j.amxSample(n); sample != nil {
		c.guess(j, sh, sample, at)
	}
	c.parallelTasks(tasks, func() func(t int) {
		w := j.newAMXWorker(sh, o)
		mu.Lock()
		ws = append(ws, w)
		mu.Unlock()
		return func(t int) {
			if qparts > 1 {
				w.keepFac = t == 0
				w.scan(0, n, t*p.nqb/qparts, (t+1)*p.nqb/qparts)
				return
			}
			w.keepFac = true
			w.scan(t*chunk, min((t+1)*chunk, n), 0, p.nqb)
		}
	})
	g := 0.0
	for _, w := range ws {
		g = max(g, w.g)
	}
	sels := make([][]*selector, 0, len(ws)+c.workers)
	for _, w := range ws {
		sels = append(sels, w.sel)
	}
	if j.bits != nil {
		// The first k masked rows, which rank last when fewer than k
		// rows pass.
		failing := 0
		for r := 0; r < n && failing < j.a.K; r++ {
			if !passes(j.bits, r) {
				for i := range j.m {
					ws[0].offer(i, j.worst, int64(r))
				}
				failing++
			}
		}
	}
	// Each query's candidates, of every worker, within reach of the k
	// best.
	cand := make([][]int64, j.m)
	c.parallelFor(j.m, 8, func(lo, hi int) {
		var all []float32
		for i := lo; i < hi; i++ {
			// L once more, from the k best A of every worker's
			// candidates (which hold the k best of all rows).
			all = all[:0]
			for _, w := range ws {
				for _, c := range w.band[i].cands {
					all = append(all, c.v)
				}
			}
			l := float64(sh.valid[i])
			if len(all) >= j.a.K {
				l = max(l, float64(sh.bound(i, kthLargest(all, j.a.K-1), g)))
			}
			if float64(sh.guess[i]) > l {
				// The guess was above the candidates' L: rows it dropped
				// may rank among the k best. Every row is a candidate.
				amxMissed.Add(1)
				for r := range n {
					if (j.bits == nil || passes(j.bits, r)) && sh.fac[r] == sh.fac[r] {
						cand[i] = append(cand[i], int64(r))
					}
				}
				continue
			}
			cand[i] = make([]int64, 0, len(all))
			for _, w := range ws {
				for _, c := range w.band[i].cands {
					if float64(roundUp(float64(c.v)+float64(sh.eq[i])*float64(w.gRow[c.r]))) >= l {
						cand[i] = append(cand[i], int64(c.r))
					}
				}
			}
		}
	})
	// The re-scoring: each candidate's score goes to its place in exact
	// (query i's from off[i], in the order of cand[i]). Tasks of a part of
	// the rows sort their candidates by row (a counting sort), so that
	// each row is read once for all its queries.
	off := make([]int, j.m+1)
	for i, rows := range cand {
		off[i+1] = off[i] + len(rows)
	}
	exact := make([]float32, off[j.m])
	parts := 4 * c.workers
	c.parallelTasks(parts, func() func(t int) {
		var start []uint32
		var byQuery, byPlace []int32
		var scores []float32
		row := make([]float32, j.d)
		return func(t int) {
			lo, hi := int64(t*n/parts), int64((t+1)*n/parts)
			start = append(start[:0], make([]uint32, hi-lo+1)...)
			for _, rows := range cand {
				for _, r := range rows {
					if r >= lo && r < hi {
						start[r-lo+1]++
					}
				}
			}
			for r := range hi - lo {
				start[r+1] += start[r]
			}
			byQuery = append(byQuery[:0], make([]int32, start[hi-lo])...)
			byPlace = append(byPlace[:0], make([]int32, start[hi-lo])...)
			next := start[:hi-lo] // start[r] until row r's queries are placed, then start[r+1]
			for i, rows := range cand {
				for p, r := range rows {
					if r >= lo && r < hi {
						byQuery[next[r-lo]], byPlace[next[r-lo]] = int32(i), int32(off[i]+p)
						next[r-lo]++
					}
				}
			}
			// Row r's candidates are now [start[r-1-lo], start[r-lo]) (from 0 for the first).
			from := uint32(0)
			for r := lo; r < hi; r++ {
				qs, at := byQuery[from:start[r-lo]], byPlace[from:start[r-lo]]
				from = start[r-lo]
				if len(qs) == 0 {
					continue
				}
				x := load(j.x.DType, j.x.b, int(r)*j.d, j.d, row)
				f := sh.fac[r]
				if j.a.Metric != engine.MetricL2 {
					// rowScore's dot(q, x)·f, the queries side by side.
					scores = append(scores[:0], make([]float32, len(qs))...)
					dotQueries(x, j.Q, j.d, qs, scores)
					for k, p := range at {
						exact[p] = scores[k] * f
					}
					continue
				}
				for k, i := range qs {
					exact[at[k]] = j.rowScore(int(i), x, f)
				}
			}
		}
	})
	// Each query's candidates to a selection of its own.
	mine := make([]*selector, j.m)
	c.parallelFor(j.m, 16, func(lo, hi int) {
		for i := lo; i < hi; i++ {
			if len(cand[i]) == 0 {
				continue
			}
			mine[i] = newSelectorFor(o, j.a.K, len(cand[i]))
			for p, r := range cand[i] {
				mine[i].offer(exact[off[i]+p], r)
			}
		}
	})
	sels = append(sels, mine)
	for _, w := range ws {
		w.release()
	}
	return sels
}

// amxSampleRows is the most rows of the sample that guesses each query's
// L before a screened scan (amxSample).
const amxSampleRows = 512

// amxMissed counts the queries whose guess was above their candidates' L
// (see amxScan), for the tests.
var amxMissed atomic.Int64

// amxSample returns the rows of the sample that guesses each query's L
// before the scan, spread evenly over the n rows, and the rank at in the
// sample whose A gives the guess; nil where a guess is not worth it. Of
// S sampled rows that pass, about μ = S·k/n' rank among the k best of
// the n' rows that pass; the guess takes the (μ + 4√μ + 2)-th best of
// the sample, so that fewer than k rows pass it only when the sample
// holds 4σ more of the k best than expected (every row of a sample of
// all the rows: the k-th). With the guess, a query's candidates are
// about n'·at/S rows from the start, instead of every row until its k
// best have gathered.
func (j *scanJob) amxSample(n int) (sample []int, at int) {
	s := min(n, amxSampleRows)
	sample = make([]int, 0, s)
	for t := range s {
		if r := t * n / s; j.bits == nil || passes(j.bits, r) {
			sample = append(sample, r)
		}
	}
	pass := n
	if j.bits != nil {
		pass = 0
		for _, w := range j.bits {
			pass += bits.OnesCount32(w)
		}
	}
	at = j.a.K
	if s < n {
		mu := float64(len(sample)) * float64(j.a.K) / float64(pass)
		at = int(math.Ceil(mu + 4*math.Sqrt(mu) + 2))
	}
	if at > len(sample)/2 && s < n || at > len(sample) {
		return nil, 0
	}
	return sample, at
}

// amxUsable reports whether a scan of n rows on w workers is screened: a
// dot or cosine scan for the largest scores or an L2 scan for the
// smallest, enough queries, a tile unit,
// queries whose norms bfloat16 and float32 hold with room, and a k small
// enough next to the rows that the candidates (at most about w·k·(1 +
// ln(n/(w·k))) a query) are at most n·d/amxCandidateCost.
func (j *scanJob) amxUsable(n, w int) bool {
	if amxDots == nil || j.m < amxMinQueries || j.a.Largest == (j.a.Metric == engine.MetricL2) || j.d == 0 || n == 0 || n > math.MaxInt32 {
		return false
	}
	wk := float64(w * j.a.K)
	if amxCostCheck && wk*(1+math.Log(max(1, float64(n)/wk))) > float64(n)*float64(j.d)/amxCandidateCost {
		return false
	}
	for i := range j.m {
		if ss := sumSquares32(j.Q[i*j.d : (i+1)*j.d]); !(ss <= 1e30) || ss < 0x1p-80 {
			return false
		}
	}
	return true
}
