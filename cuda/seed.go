package cuda

import "github.com/silica-go/silica/engine"

// The seeded search: many queries at a large k on the tensor cores.
//
// The unseeded scan (mmaScan) gives each block of rows its own threshold,
// the kc-th best score of the rows it has seen, so every block keeps kc
// keys a query: at kc = 1000 over 1M rows, the block of a 64-query search
// sees 7,600 rows and keeps 1,000 of them, cutting its buffers back again
// and again, and the final select merges 132 x 1000 keys a query. Past
// kc = 1024 it cannot run at all (the buffers would not fit).
//
// A seeded search first scans a sample, every step-th row (step = kc /
// 32), keeping each query's seedRank best (about 64), and starts each
// query's threshold at the worst of them: about seedRank * step = 2 kc
// rows of the store score at least that. The scan of every row then
// keeps that threshold in every block and appends each key at or past it
// to the query's list (4 kc keys: seedList), and seed_final takes the
// best kc of the list. If the list holds at least kc keys and lost none,
// they are the query's best kc whatever the sample was: a key of the best
// kc scores at least the kc-th best, which is at least the threshold. A
// query for which that fails (the sample misled it: a chance of about
// 4e-7 with random rows) is searched again without a seed, with the
// others that failed, so a search is exact either way.
//
// A masked search (a row bitmap) is seeded the same way: the sample's
// failing rows score the worst, the scan lists only passing rows, and a
// query with fewer than kc passing rows is searched again. A sample with
// fewer than kk passing rows seeds the worst score for every query (the
// filter is the same for all): the scan's blocks then return at once and
// the queries are searched again without a seed, so a filter that keeps
// few rows costs the sample's scan more than an unseeded search, not a
// whole scan more.

const (
	// seedRank is the sample's rank whose score seeds a threshold: the
	// count of rows past it varies by about 1/sqrt(seedRank).
	seedRank = 64
	// seedList is the keys a query's list holds, in kc.
	seedList = 4
	// seedMinStep is the densest sample a seed is drawn from: every
	// fourth row, so kc >= 128.
	seedMinStep = 4
	// seedFlushAt is the keys past which a block of a seeded scan flushes
	// a query's buffer to its list (the buffer holds a tile more): about
	// 2 kc/n of a tile's rows pass, under one key at k = 1000 over 1M
	// rows, so the flush at the end is mostly the only one.
	seedFlushAt = 64
	// seedDenseStep and seedDenseQueries: a sample denser than every
	// 16th row is not drawn for 256 queries or more. There the scan is
	// bound by the tensor cores, not by reading the rows, and the
	// sample's scan costs about 1/step of the scan of every row, more
	// than a threshold saves a block keeping as few as kc < 512 keys
	// (run 25 on an H100, float32 at k = 100, kc = 200, every 6th row:
	// 1024 queries 14.5 ms seeded against 12.6 without, 64 queries 1.65
	// against 1.82; at k = 1000, every 62nd row, seeded was 2.9 and 3.4
	// times as fast; between steps 6 and 62 nothing was measured).
	seedDenseStep    = 16
	seedDenseQueries = 256
)

// seedPlan is how a seeded search of kc candidates cuts a search: every
// step-th row sampled (s rows), the rank kk of the sample whose score
// seeds the threshold, lists of L keys, g queries a chunk.
type seedPlan struct {
	step, s, kk, L, g int
}

// planSeed returns the seeded search of m queries over n rows at kc
// candidates a query (k results), or false where it does not pay: kc
// under 32 * seedMinStep, a sample denser than every seedDenseStep-th
// row for seedDenseQueries or more, or a sample of fewer than 4 kk rows
// (a store of fewer than about 8 kc).
func planSeed(m, n, k, kc int, tf32 bool) (seedPlan, bool) {
	step := kc / (seedRank / 2)
	if step < seedMinStep || step < seedDenseStep && m >= seedDenseQueries {
		return seedPlan{}, false
	}
	s := (n + step - 1) / step
	kk := (2*kc + step - 1) / step
	if s < 4*kk || kk > maxFusedK {
		return seedPlan{}, false
	}
	L := seedList * kc
	// A query's scratch: its list, its best kc, the sample's kk scores
	// and rows, its count and flags; a TF32 search's approximate and exact
	// keys and its best k.
	per := 8*L + 8*kc + 12*kk + 12
	if tf32 {
		per += 16*kc + 8*k
	}
	g := max(1, scoreScratch/per)
	if g < m {
		g = max(64, g&^63)
	}
	return seedPlan{step: step, s: s, kk: kk, L: L, g: min(g, m)}, true
}

// seeded runs the seeded search if it applies (planSeed; not with a
// Config that sets SelectK or NoSeed) and says whether it did; through
// the row bitmap bits when not 0 (a masked search: the sample's and the
// scan's failing rows score the worst and are never listed, so a query
// with fewer than kc passing rows is searched again without a seed).
func (r *runner) seeded(at engine.Attrs, q, x arg, bits, vals, idx dptr) (bool, error) {
	if r.b.cfg.NoSeed || r.b.cfg.SelectK != 0 {
		return false, nil
	}
	m, d := q.Shape[0], q.Shape[1]
	n, k := x.Shape[0], at.K
	tf32 := x.DType == engine.Float32
	kc := k
	if tf32 {
		kc = tf32Candidates(k)
	}
	sp, ok := planSeed(m, n, k, kc, tf32) // only for n of about 8 kc or more, so k <= n
	if !ok {
		return false, nil
	}
	g := sp.g
	if !r.d.dry {
		r.b.seeds.Add(1)
	}
	qn, qscale, maxnorm, err := r.mmaPrep(at, q)
	if err != nil {
		return true, err
	}
	flags, err := r.tmp(8 * m) // [m] seed_final's, then [m] verify's
	if err != nil {
		return true, err
	}
	sizes := []int{4 * g * sp.kk, 8 * g * sp.kk, 4 * g, 8 * g * sp.L, 8 * g * kc}
	if tf32 {
		sizes = append(sizes, 8*g*kc, 8*g*kc, 8*g*k)
	}
	bufs := make([]dptr, len(sizes))
	for i, n := range sizes {
		if bufs[i], err = r.tmp(n); err != nil {
			return true, err
		}
	}
	t0, t0i, cnt, list, best := bufs[0], bufs[1], bufs[2], bufs[3], bufs[4]
	ver := r.scanVersion()
	rowBytes := uint64(d * q.DType.Size())
	sample := x
	sample.Shape = engine.Shape{sp.s, d}
	scr := &scanScratch{} // every chunk's scans, one after another in the stream
	for q0 := 0; q0 < m; q0 += g {
		gg := min(g, m-q0)
		qc := q
		qc.Shape = engine.Shape{gg, d}
		qc.ptr = q.ptr + uint64(q0)*rowBytes
		qs := qscale + uint64(4*q0)
		// The seeds: each query's kk-th best score of the sample.
		cand, parts, _, err := r.mmaScanV4(at, qc, sample, sp.kk, qs, maxnorm, bits, ver, scanSeed{step: sp.step, scr: scr})
		if err != nil {
			return true, err
		}
		if err := r.selectRows(engine.Float32, 0, cand, gg, parts*sp.kk, sp.kk, at.Largest, t0, t0i, 0); err != nil {
			return true, err
		}
		if err := r.memset32(cnt, 0, gg); err != nil {
			return true, err
		}
		sd := scanSeed{step: 1, thr0: t0 + uint64(4*(sp.kk-1)), thr0s: sp.kk, cnt: cnt, list: list, L: sp.L, scr: scr}
		_, _, trunc, err := r.mmaScanV4(at, qc, x, kc, qs, maxnorm, bits, ver, sd)
		if err != nil {
			return true, err
		}
		if err := launch(r.d, selectVariant(engine.Float32), [3]int{gg}, 512, 0, seedFinalArgs{buf: list, L: int64(sp.L),
			cnt: cnt, k: int32(kc), out: best, ok: flags + uint64(4*q0)}); err != nil {
			return true, err
		}
		vq, iq := vals+uint64(4*q0*k), idx+uint64(8*q0*k)
		if !tf32 {
			if err := r.selectRows(engine.Float32, 0, best, gg, kc, k, at.Largest, vq, iq, 0); err != nil {
				return true, err
			}
			continue
		}
		// TF32: the candidates in order, scored again exactly, their best
		// k proven by the error bound (mmaScan's ending).
		approx, exact, bestk := bufs[5], bufs[6], bufs[7]
		if err := r.selectRows(engine.Float32, 0, best, gg, kc, kc, at.Largest, 0, 0, approx); err != nil {
			return true, err
		}
		if err := r.tf32Finish(at, qc, x, kc, qn+uint64(4*q0), qs, maxnorm, trunc, bits, approx, exact, bestk, vq, iq,
			flags+uint64(4*(m+q0))); err != nil {
			return true, err
		}
	}
	return true, r.reseed(at, q, x, bits, flags, tf32, vals, idx)
}

// reseed searches again, without a seed and all at once (through the
// row bitmap bits when not 0), the queries of a seeded search whose list
// failed (flags [m], 0 for those) or, for TF32, whose bound failed
// (flags [m:2m]).
func (r *runner) reseed(at engine.Attrs, q, x arg, bits, flags dptr, tf32 bool, vals, idx dptr) error {
	m, d := q.Shape[0], q.Shape[1]
	k := at.K
	if r.d.dry { // compile what a failed seed would run
		one := q
		one.Shape = engine.Shape{1, d}
		return r.search(at, one, x, 0, bits, vals, idx, true)
	}
	nf := m
	if tf32 {
		nf = 2 * m
	}
	ok, err := r.readFlags(flags, nf)
	if err != nil {
		return err
	}
	var redo []int
	for i := range m {
		if ok[i] == 0 || tf32 && ok[m+i] == 0 {
			redo = append(redo, i)
		}
	}
	if len(redo) == 0 {
		return nil
	}
	r.b.reseeded.Add(int64(len(redo)))
	rowBytes := d * q.DType.Size()
	nr := len(redo)
	sub, err := r.tmp(nr * rowBytes)
	if err != nil {
		return err
	}
	sv, err := r.tmp(4 * nr * k)
	if err != nil {
		return err
	}
	si, err := r.tmp(8 * nr * k)
	if err != nil {
		return err
	}
	copyRow := func(dst, src dptr, n int) error {
		return check("cuMemcpyDtoDAsync", cuMemcpyDtoDAsync(dst, src, uint64(n), r.d.stream))
	}
	for j, i := range redo {
		if err := copyRow(sub+uint64(j*rowBytes), q.ptr+uint64(i*rowBytes), rowBytes); err != nil {
			return err
		}
	}
	qs := q
	qs.ptr, qs.Shape = sub, engine.Shape{nr, d}
	if err := r.search(at, qs, x, 0, bits, sv, si, true); err != nil {
		return err
	}
	for j, i := range redo {
		if err := copyRow(vals+uint64(4*i*k), sv+uint64(4*j*k), 4*k); err != nil {
			return err
		}
		if err := copyRow(idx+uint64(8*i*k), si+uint64(8*j*k), 8*k); err != nil {
			return err
		}
	}
	return nil
}
