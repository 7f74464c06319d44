package cpu

import (
	"math"
	"math/bits"
	"slices"
	"sync"

	"github.com/silica-go/silica/engine"
)

func init() { kernels[engine.OpScanTopK] = scanKernel }

// scanBlock is the number of elements of stored rows a scan worker
// converts at a time: 16 KB of float32, so that the converted block stays
// in the L1 cache while every query reads it.
const scanBlock = 4096

// directMaxQueries is the most queries for which the scan scores each
// stored row with a direct kernel per query (converting in registers);
// with more, converting a block once and reusing it is cheaper.
const directMaxQueries = 2

// scanJob is one fused scan: queries Q [m, d] (float32, normalized when
// the metric asks), stored rows x [n, d] and their scales when quantized.
type scanJob struct {
	a      engine.Attrs
	Q      []float32
	m, d   int
	x      arg
	scales []float32
	bits   []uint32 // the row bitmap of a masked scan (nil: every row passes)
	worst  float32  // the score of a row that fails bits
	pair   pairFunc // the direct scan's two-row kernel, nil where it cannot take one (pairKernel)
}

// scanKernel is the fused search: the stored rows x [n, d] are split among
// the workers; each reads its rows once, scores them against every query
// and keeps a selection per query; the selections are merged at the end.
// No [m, n] score matrix exists at any time. A masked scan (Attrs.Mask)
// offers the rows that fail its bitmap with the worst score: the direct
// method reads and scores only the passing rows, and offers the failing
// ones only where they could rank (see direct); the block method skips
// each failing row's products; the tiles method tests the bit of each
// score that beats its selection's threshold (few, once the threshold
// settles).
func scanKernel(c *Backend, s *engine.Step, in, out []arg) error {
	a := s.Attrs
	q, x := in[0], in[1]
	j := scanJob{a: a, m: q.Shape[0], d: q.Shape[1], x: x}
	if a.Quantize {
		j.scales = f32(in[2].b)
	}
	if a.Mask {
		j.bits, j.worst = words(in[len(in)-1].b), worst(a.Largest)
	}
	j.Q, _, _ = c.rowsOf(q, false, a.NormA && a.Metric == engine.MetricDot, nil)
	o := order{a.Largest}
	direct := rowKernel(x.DType, a.Metric == engine.MetricL2)
	j.pair = j.pairKernel()
	// The rows are cut into chunks of whole tiles, a few per worker, taken
	// one at a time by whichever worker is free; each worker keeps one
	// selection per query across its chunks.
	n := x.Shape[0]
	chunk := max(256, (n+4*c.workers-1)/(4*c.workers))
	if t := j.tileRows(); chunk%t != 0 {
		chunk += t - chunk%t
	}
	var mu sync.Mutex
	var sels [][]*selector
	if j.amxUsable(n, c.workers) {
		sels = c.amxScan(&j, n, chunk)
	} else {
		c.parallelTasks((n+chunk-1)/chunk, func() func(t int) {
			mine := make([]*selector, j.m)
			for i := range mine {
				mine[i] = newSelectorFor(o, a.K, n/c.workers)
			}
			mu.Lock()
			sels = append(sels, mine)
			mu.Unlock()
			return func(t int) {
				lo, hi := t*chunk, min((t+1)*chunk, n)
				switch {
				case direct != nil && j.m <= directMaxQueries:
					j.direct(direct, lo, hi, mine)
				case a.Metric == engine.MetricL2 && l2Tile == nil:
					j.blocks(lo, hi, mine)
				default:
					j.tiles(lo, hi, mine)
				}
			}
		})
	}
	// Each query's selections merged and sorted, the queries in parallel
	// (a few at a time for a large k: 8 queries at k = 4096 are 2 ms of
	// merging each).
	vals := f32(out[0].b)
	c.parallelFor(j.m, max(1, 2048/a.K), func(lo, hi int) {
		idx := make([]int64, a.K)
		for i := lo; i < hi; i++ {
			var merged *selector
			total := 0
			for _, mine := range sels {
				if mine[i] != nil {
					total += len(mine[i].vals)
				}
			}
			// Few candidates for the k: all of them in one selection,
			// compacted once when sorted, rather than each list cut to k
			// and the merge compacted as it fills.
			whole := total <= mergeWhole*a.K
			for _, mine := range sels {
				switch {
				case mine[i] == nil:
				case merged == nil:
					merged = mine[i] // sorted as it is when it is the only one
					c := total
					if !whole {
						c = min(total, merged.max)
					}
					merged.vals, merged.idx = slices.Grow(merged.vals, c-len(merged.vals)), slices.Grow(merged.idx, c-len(merged.idx))
				case whole:
					merged.vals, merged.idx = append(merged.vals, mine[i].vals...), append(merged.idx, mine[i].idx...)
				default:
					v, ix := mine[i].kept()
					for k := range v {
						merged.push(v[k], ix[k])
					}
				}
			}
			if merged == nil {
				merged = newSelector(o, a.K)
			}
			merged.sorted(vals[i*a.K:(i+1)*a.K], idx)
			putIndices(out[1].b, i*a.K, idx)
		}
	})
	for _, mine := range sels {
		release(mine...)
	}
	return nil
}

// direct scores rows [lo, hi) with a direct row kernel per query, as two
// streams, the two halves of the range a row of each in turn: two
// sequential streams a thread keep more reads in flight than one (on the
// 2-core development machine a single query over 100K x 768 rows read
// at 15.8 GB/s as one stream; see bench/cpu/NOTES.md). One query's
// float32 dot products take the pair kernel, a row of each stream at
// once.
//
// A masked scan reads and scores only the rows that pass the bitmap,
// finding each next one from the bitmap's words (nextPassing: a branch a
// word, none a row): a filter keeping 10% of 100K rows of 384 took
// 0.18-0.23 the time of an unfiltered single query, where scoring every
// row and masking the scores took 1.02-1.06 (BenchmarkFilteredSearch in
// package store, on the 2-core development machine; bench/cpu/NOTES.md,
// session20). A failing row scores the worst: it can rank in a query's
// best k of the range only while fewer than k passing rows of the range
// score better than the worst, and only then are the failing rows
// offered to that query, in order, as a scan of every row offers them.
func (j *scanJob) direct(k rowFunc, lo, hi int, mine []*selector) {
	mid := lo + (hi-lo)/2
	var better [directMaxQueries]int // passing rows scoring ahead of the worst, per query
	ahead := func(v float32) int {
		if mine[0].o.largest {
			return b2i(v > j.worst)
		}
		return b2i(v < j.worst)
	}
	a, b := j.nextPassing(lo, mid), j.nextPassing(mid, hi)
	if j.pair != nil {
		rb, q, sel := 4*j.d, j.Q[:j.d], mine[0]
		for a < mid && b < hi {
			ra, rbb := j.pair(q, j.x.b[a*rb:(a+1)*rb], j.x.b[b*rb:(b+1)*rb])
			sel.offer(ra, int64(a))
			sel.offer(rbb, int64(b))
			better[0] += ahead(ra) + ahead(rbb)
			a, b = j.nextPassing(a+1, mid), j.nextPassing(b+1, hi)
		}
	}
	score := func(r int) {
		vs := j.rowScores(k, r, mine)
		for i, sel := range mine {
			sel.offer(vs[i], int64(r))
			better[i] += ahead(vs[i])
		}
	}
	for a < mid || b < hi {
		if a < mid {
			score(a)
			a = j.nextPassing(a+1, mid)
		}
		if b < hi {
			score(b)
			b = j.nextPassing(b+1, hi)
		}
	}
	need := false // some query has fewer than k passing rows ahead of the worst
	for i, sel := range mine {
		need = need || better[i] < sel.k
	}
	if j.bits == nil || !need {
		return
	}
	for r := lo; r < hi; r++ { // a query with k rows ahead drops them at once
		if !passes(j.bits, r) {
			j.offerWorst(r, mine)
		}
	}
}

// nextPassing returns the first row of [r, end) that passes the scan's
// bitmap (r itself in an unmasked scan), else end.
func (j *scanJob) nextPassing(r, end int) int {
	if j.bits == nil {
		return r
	}
	for r < end {
		if w := j.bits[r>>5] >> (r & 31); w != 0 {
			return min(r+bits.TrailingZeros32(w), end)
		}
		r = (r | 31) + 1
	}
	return end
}

// pairKernel returns the two-row kernel when the direct scan can take it:
// one query's dot products with float32 rows, no row factors; else nil.
func (j *scanJob) pairKernel() pairFunc {
	if j.m != 1 || j.x.DType != engine.Float32 || j.a.Metric == engine.MetricL2 || j.a.NormB || j.scales != nil {
		return nil
	}
	return pairDot()
}

// rowScores returns row r's score for each query of mine (at most
// directMaxQueries), in the first len(mine) places.
func (j *scanJob) rowScores(k rowFunc, r int, mine []*selector) (out [directMaxQueries]float32) {
	d, rb := j.d, j.d*j.x.DType.Size()
	row := j.x.b[r*rb : (r+1)*rb]
	scale := float32(1)
	if j.scales != nil {
		scale = j.scales[r]
	}
	for i := range mine {
		r0, ss := k(j.Q[i*d:(i+1)*d], row, scale)
		switch {
		case j.a.Metric == engine.MetricL2:
		case j.a.NormB:
			r0 *= scale * invNormScaled(ss, scale)
		default:
			r0 *= scale
		}
		out[i] = r0
	}
	return out
}

// blocks scores rows [lo, hi) a block at a time: the block converted to
// float32 (a view when stored so), then the float32 kernels per row and
// query. Those compute the direct kernels' very operations (see dot.go),
// so a query's scores do not depend on how many queries share the scan.
func (j *scanJob) blocks(lo, hi int, mine []*selector) {
	d := j.d
	block := max(1, scanBlock/d)
	var scratch []float32
	if j.x.DType != engine.Float32 {
		scratch = make([]float32, block*d)
	}
	for r0 := lo; r0 < hi; r0 += block {
		r1 := min(r0+block, hi)
		rows := load(j.x.DType, j.x.b, r0*d, (r1-r0)*d, scratch)
		for r := r0; r < r1; r++ {
			if j.bits != nil && !passes(j.bits, r) {
				j.offerWorst(r, mine) // the products of a block are cheap next to its conversion
				continue
			}
			row := rows[(r-r0)*d : (r-r0+1)*d]
			f := j.rowFactor(r, j.normSS(row))
			for i, sel := range mine {
				sel.offer(j.rowScore(i, row, f), int64(r))
			}
		}
	}
}

// offerWorst offers row r, which fails the scan's bitmap, to every
// query's selection with the worst score, as OpMaskRows scores it (a
// selection with k rows ahead of it drops it at once).
func (j *scanJob) offerWorst(r int, mine []*selector) {
	for _, sel := range mine {
		sel.offer(j.worst, int64(r))
	}
}

// rowFactor is the factor of row r's scores: its scale (int8 rows) and,
// for a cosine scan, its inverse norm from ss, the row's float32 sum of
// squares (read only then: see normSS). An L2 scan, which never
// normalizes, gets the scale alone, as sqDist takes it.
func (j *scanJob) rowFactor(r int, ss float32) float32 {
	f := float32(1)
	if j.scales != nil {
		f = j.scales[r]
	}
	if j.a.NormB {
		f *= invNormScaled(ss, f)
	}
	return f
}

// normSS is rowFactor's ss for row: its sum of squares when the scan
// normalizes rows, else 0, not summed.
func (j *scanJob) normSS(row []float32) float32 {
	if !j.a.NormB {
		return 0
	}
	return sumSquares32(row)
}

// rowScore is the scan's float32 score of query i and a row (its values
// row, its rowFactor f): sqDist with the scale, or dot times the factor.
// The tile kernels compute the very same (dotTile, l2Tile).
func (j *scanJob) rowScore(i int, row []float32, f float32) float32 {
	q := j.Q[i*j.d : (i+1)*j.d]
	if j.a.Metric == engine.MetricL2 {
		return sqDist(q, row, f)
	}
	return dot(q, row) * f
}

// invNormScaled is 1/max(scale·sqrt(ss), NormEps): the inverse norm of a
// row scale·x whose sum of squares ss was summed in float32 (the scan's
// row norms, exact to a few float32 ulps, and exact for int8 rows up to
// 1040 elements).
func invNormScaled(ss, scale float32) float32 {
	return float32(1 / max(float64(scale)*math.Sqrt(float64(ss)), NormEps))
}

// scanTileBytes is the size of a tile of stored rows as float32: it stays
// in the L2 cache while every query block is scored against it.
const scanTileBytes = 192 << 10

// scanQueryBlock is the number of queries scored against a row tile at a
// time (the rows of dotTile's register block on amd64: 4 with AVX2, 8
// with AVX-512; set by setSIMD).
var scanQueryBlock = 4

// mergeWhole bounds the candidates, in multiples of k, that the final
// merge of a query's selections takes into one selection whole.
const mergeWhole = 4

// scanPrefetch is how many rows ahead the tile scan asks for a row.
const scanPrefetch = 2

// tileRows is the number of rows in a tile of the tiles method:
// scanTileBytes as float32, a multiple of 3 (the tile kernels' rows).
func (j *scanJob) tileRows() int { return max(3, scanTileBytes/(4*j.d)/3*3) }

// tiles scores rows [lo, hi) a tile at a time: the tile converted to
// float32 once (a view when stored so) and, for a dot or cosine scan, its
// row factors (scale, inverse norm) computed once, then blocks of queries
// against the whole tile through dotTile (or l2Tile, with the rows'
// scales, for an L2 scan where the kernel set has one) into a small score
// tile, whose scores go to each query's selector. dotTile and l2Tile
// compute dot's and sqDist's very operations, so the scores are those of
// blocks and of a single-query scan, bit for bit.
func (j *scanJob) tiles(lo, hi int, mine []*selector) {
	d := j.d
	tile := j.tileRows()
	var scratch []float32
	if j.x.DType != engine.Float32 {
		scratch = make([]float32, tile*d)
	}
	f := make([]float32, tile)
	scores := make([]float32, scanQueryBlock*tile)
	l2 := j.a.Metric == engine.MetricL2
	var ones []float32
	if l2 {
		ones = make([]float32, tile)
		for r := range ones {
			ones[r] = 1
		}
	}
	for r0 := lo; r0 < hi; r0 += tile {
		nt := min(tile, hi-r0)
		rows := load(j.x.DType, j.x.b, r0*d, nt*d, scratch)
		for r := range nt {
			if next := r0 + r + scanPrefetch; next < hi {
				// The row ahead, so that its read overlaps this one's
				// work (8 queries over 10K x 768: 15% faster).
				rb := d * j.x.DType.Size()
				prefetch(j.x.b[next*rb : (next+1)*rb])
			}
			f[r] = 1 // l2Tile takes the scales itself
			if !l2 {
				f[r] = j.rowFactor(r0+r, j.normSS(rows[r*d:(r+1)*d]))
			}
		}
		for i0 := 0; i0 < j.m; i0 += scanQueryBlock {
			mq := min(scanQueryBlock, j.m-i0)
			if l2 {
				scales := ones[:nt]
				if j.scales != nil {
					scales = j.scales[r0 : r0+nt]
				}
				l2Tile(j.Q[i0*d:(i0+mq)*d], mq, rows, nt, d, scales, scores)
			} else {
				dotTile(j.Q[i0*d:(i0+mq)*d], mq, rows, nt, d, scores)
			}
			for i := range mq {
				mine[i0+i].offerScaled(scores[i*nt:(i+1)*nt], f, int64(r0), j.bits)
			}
		}
	}
}
