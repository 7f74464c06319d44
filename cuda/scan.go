package cuda

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"unsafe"

	"github.com/silica-go/silica/engine"
)

func init() {
	kernels[engine.OpScanTopK] = scanKernel
	registerFamily(scanVariants, rowscanArgs{}, rescoreArgs{}, verifyArgs{}, mmaScanV4Args{}, wgmmaScanV5Args{})
}

// scanVariants are the family's default variants: the row scans of every
// float dtype (one and rowKernelMaxM queries, a vectorised and a ragged
// row length, dot and L2) and of int8 rows, the rescore, and the
// tensor-core scans (scan_v4.go) in their default tilings.
func scanVariants() []variant {
	var vs []variant
	for _, t := range floatTypes {
		for _, mq := range []int{1, rowKernelMaxM} {
			for _, d := range []int{768, 100} {
				vs = append(vs, rowVariant(t, t, mq, d, 1, engine.MetricDot), rowVariant(t, t, mq, d, 0, engine.MetricL2))
			}
		}
		vs = append(vs, rowVariant(t, engine.Int8, 8, 768, 1, engine.MetricDot),
			rowVariant(t, t, 1, 768, 1, engine.MetricDot).masked(), rowVariant(t, t, rowKernelMaxM, 100, 1, engine.MetricL2).masked())
	}
	vs = append(vs, rescoreVariant())
	for _, t := range floatTypes {
		for _, ss := range []string{"0", "1"} {
			vs = append(vs, v4Variant(t, ss, defaultV4(64)), v4Variant(t, ss, defaultV4(1024)),
				v4Variant(t, ss, defaultV5(64, t == engine.Float32)), v4Variant(t, ss, defaultV5(1024, t == engine.Float32)))
		}
	}
	// A store's masked search (float32 or float16 rows, unit already under
	// cosine) in each main loop: MASK adds the same lines to every tiling.
	for _, t := range []engine.DType{engine.Float32, engine.Float16} {
		ss := mmaSumSquares(engine.Attrs{}, t)
		vs = append(vs, v4Variant(t, ss, defaultV4(64)).masked(), v4Variant(t, ss, defaultV5(64, t == engine.Float32)).masked())
	}
	return vs
}

// Tuning of the fused search (see NOTES.md for the measurements behind
// them).
var (
	// maxFusedK is the largest k the tensor-core scan keeps in its
	// buffers; above it a search scores and selects (scoreSelect).
	maxFusedK = 1024
	// rowSelectK is the largest k the row scan keeps in its warps'
	// buffers by default (Config.SelectK overrides it); above it a
	// search of few queries scores and selects.
	rowSelectK = 128
	// scoreScratch is the most scratch memory the scores of a search
	// that scores and selects take at once (queries go in chunks).
	scoreScratch = 64 << 20
	// mmaMinQueries is the fewest queries the tensor-core scan takes;
	// fewer go to the SIMT row scan.
	mmaMinQueries = 16
	// sortSmemMaxC is the largest candidate buffer (keys) a warp sorts in
	// shared memory; larger ones are sorted in place in global memory.
	sortSmemMaxC = 1024
)

// rowBlocksPerSM is the row scan's blocks (of 8 warps) per SM: a single
// query's variant keeps under 64 registers so that 4 fit (more rows in
// flight), and so does the kernel that writes a group's scores (mode 0;
// on the H200 of run 16, 4 blocks took 1.39 ms for 8 float32 queries'
// scores over 1M x 768 rows where 2 took 1.90, and 2.04 against 3.11
// for float16 ones); a group's select needs more registers.
func rowBlocksPerSM(mq, ru, mode int) int {
	switch {
	case mq == 1 && ru == 2:
		return 3
	case mq == 1, mode == 0:
		return 4
	}
	return 2
}

// rowsAtOnce is how many rows a warp of the single-query scan loads
// before using any: two for 16-bit rows, whose rows are short (a 768-wide
// row is 48 bytes a lane), so that more bytes are in flight.
func rowsAtOnce(mq, nv int, xt engine.DType) int {
	if mq == 1 && nv > 0 && xt.Size() == 2 {
		return 2
	}
	return 1
}

// scanKernel is the fused search, engine.OpScanTopK.
func scanKernel(r *runner, s *engine.Step, in, out []arg) error {
	at := s.Attrs
	q, x := in[0], in[1]
	var scales dptr
	if at.Quantize {
		scales = in[2].ptr
	}
	var bits dptr
	if at.Mask {
		bits = in[len(in)-1].ptr
	}
	return r.search(at, q, x, scales, bits, out[0].ptr, out[1].ptr, false)
}

// search is the fused search of queries q over rows x into vals and idx
// [m][k]: seeded (seed.go) where it applies, unless noSeed; else the
// tensor-core scan up to its k, the row scan, or scoring and selecting.
func (r *runner) search(at engine.Attrs, q, x arg, scales, bits, vals, idx dptr, noSeed bool) error {
	m, d := q.Shape[0], q.Shape[1]
	mma := useMMA(at, q.DType, x.DType, m, d) && r.d.cc >= 80 // cp.async, TF32 mma.sync: Ampere on
	if mma && !noSeed {
		if done, err := r.seeded(at, q, x, bits, vals, idx); done || err != nil {
			return err
		}
	}
	if at.K > r.fusedK(mma) || !mma && r.groupScores(m, x.Shape[0], at.K) {
		return r.scoreSelect(at, q, x, scales, bits, vals, idx)
	}
	if mma {
		return r.mmaScan(at, q, x, bits, vals, idx)
	}
	return r.rowScan(at, q, x, scales, bits, vals, idx)
}

// useMMA reports whether the tensor-core scan runs a search: many
// queries, dot products of float rows whose length in bytes is a multiple
// of 16.
func useMMA(at engine.Attrs, qt, xt engine.DType, m, d int) bool {
	return at.Metric == engine.MetricDot && !at.Quantize && qt == xt && qt.IsFloat() &&
		(d*qt.Size())%16 == 0 && m >= mmaMinQueries
}

// fusedK is the largest k the fused scans keep in their buffers: the
// tensor-core scan (mma) up to maxFusedK, the row scan up to
// rowSelectK; the Config's SelectK lowers or raises both (the
// tensor-core scan never past maxFusedK).
func (r *runner) fusedK(mma bool) int {
	k := rowSelectK
	if mma {
		k = maxFusedK
	}
	if c := r.b.cfg.SelectK; c != 0 {
		k = c
		if mma {
			k = min(c, maxFusedK)
		}
	}
	return k
}

// groupScores reports whether a row-scan search of m queries over n rows
// scores and selects (scoreSelect) at a k the fused row select could
// keep: it does when the scratch holds the scores of a whole group of
// queries, so the rows are still read once a group. (Run 16 on the H200,
// 8 queries, k = 100 over 1M x 768: 1.33 ms scoring and selecting against
// 2.83 fused, float32; 1.30 against 2.39, float16; the fused select's
// candidate buffers cost more than the scores' writes. One query, run
// 18 C: 0.784 against 0.820 ms, float32, and 0.768 against 0.809 in run
// 18 A; float16, whose scores matmul_skinny writes, 0.444 against 0.492.)
// Config.SelectK, when set, decides alone.
func (r *runner) groupScores(m, n, k int) bool {
	if r.b.cfg.SelectK != 0 {
		return false
	}
	return scoreScratch/scorePer(n, k) >= min(m, rowKernelMaxM)
}

// scorePer is the scratch bytes scoreSelect takes a query for n rows and
// k results.
func scorePer(n, k int) int { return 4*n + 8*(k+radixCap(k)) + 32 + radixBins*4 }

// scoreSelect is the search for large k: the scores of a chunk of
// queries against every row ([g, n] float32 in scratch, at most
// scoreScratch bytes with the select's buffers; rowscan in MODE 0, eight
// queries a pass over the rows, or for 16-bit queries and rows under the
// dot product matmul_skinny for up to 64 queries, else matmul_mma, the
// whole chunk a pass), then the multi-block
// select of their best k (selectLong), through mask_rows of the row
// bitmap bits when not 0 (a masked scan). The scores are the fused scan's
// products, exact in float32, added in its order (the row kernel) or in
// the tensor cores'; only the selection differs.
func (r *runner) scoreSelect(at engine.Attrs, q, x arg, scales, bits dptr, vals, idx dptr) error {
	m, d := q.Shape[0], q.Shape[1]
	n, k := x.Shape[0], at.K
	var qscale dptr
	if at.NormA && at.Metric == engine.MetricDot {
		var err error
		if qscale, err = r.rowScales(q, m, d, 0, true, 0); err != nil {
			return err
		}
	}
	// 16-bit queries and rows score on tensor cores (mmaMatMul: the rows
	// read once a group, whatever its size, instead of once per 8
	// queries; each product exact in float32, as in the row kernel).
	mma := !r.b.cfg.TiledMatMul && at.Metric == engine.MetricDot && !at.NormB && scales == 0 &&
		mmaProduct(r.d, q, x, m, n, d, false, true, false)
	// Float32 queries and rows score on the CUDA cores (matmul_tiled:
	// 64 x 64 tiles, the rows read once a chunk of queries).
	tiled := at.Metric == engine.MetricDot && !at.NormB && scales == 0 && q.DType == engine.Float32 && x.DType == engine.Float32
	if (mma || tiled) && m >= mmaMinQueries && !r.b.cfg.NoCand && r.d.selectSmemKeys(k) != 0 {
		return r.candSelect(at, q, x, qscale, bits, vals, idx, mma)
	}
	g := max(1, min(m, scoreScratch/scorePer(n, k), r.d.radixMaxRows()-1))
	if g > rowKernelMaxM {
		g -= g % rowKernelMaxM
	}
	scores, err := r.tmp(g * n * 4)
	if err != nil {
		return err
	}
	rowBytes := uint64(d * q.DType.Size())
	for q0 := 0; q0 < m; q0 += g {
		gg := min(g, m-q0)
		if mma {
			var sa dptr
			if qscale != 0 {
				sa = qscale + uint64(4*q0)
			}
			if err := r.mmaMatMul(q.DType, q.ptr+uint64(q0)*rowBytes, x.ptr, scores, gg, n, d, sa, 0); err != nil {
				return err
			}
		}
		for s0 := 0; s0 < gg && !mma; s0 += rowKernelMaxM {
			j := q0 + s0
			a := q
			a.Shape = engine.Shape{min(rowKernelMaxM, gg-s0), d}
			a.ptr = q.ptr + uint64(j)*rowBytes
			var sa dptr
			if qscale != 0 {
				sa = qscale + uint64(4*j)
			}
			if err := r.rowScores(a, x, a.Shape[0], n, d, sa, scales, at.NormB, at.Metric, scores+uint64(4*s0*n)); err != nil {
				return err
			}
		}
		if bits != 0 {
			if err := r.maskScores(scores, bits, gg*n, n, at.Largest); err != nil {
				return err
			}
		}
		if err := r.selectLong(engine.Float32, scores, gg, n, k, at.Largest, vals+uint64(4*q0*k), idx+uint64(8*q0*k)); err != nil {
			return err
		}
	}
	return nil
}

// candKeep is how many times k keys a candidate buffer of candSelect
// holds before it is cut back to k, 2 for 64 queries or fewer
// (Config.CandKeep overrides both). Run 23 E on an H100, float16 rows,
// 1M x 768, k = 4096, kernel ms at 2, 3, 5 and 8: 1024 queries 30.4,
// 26.4, 29.6, 31.2; 64 queries 2.29, 2.64, 2.59, 2.70 (float32 7.02, 7.49,
// 7.81, 7.40).
const candKeep = 3

// candMinRows is the fewest rows a part of candSelect scores at once
// (fewer only when the store has fewer): fewer queries a chunk then, and
// the rows read once more for each chunk, rather than parts so small
// that their launches cost more than their products.
const candMinRows = 12288

// candShape is how candSelect cuts a search of m queries over n rows at
// k: g queries a chunk (the chunks even) and p rows a part (a multiple
// of 256 unless it is n), so that a chunk's scores [g][p] float32, its
// candidate buffers [g][keep*k+p] keys and their state (16 bytes a query)
// fit scoreScratch; rows > 0 sets p (tests).
func candShape(m, n, k, keep, rows int) (g, p int) {
	per := func(p int) int { return 12*p + 8*keep*k + 16 }
	pmin := min(n, candMinRows)
	if rows > 0 {
		pmin = min(n, rows)
	}
	gmax := max(1, scoreScratch/per(pmin))
	chunks := (m + gmax - 1) / gmax
	g = (m + chunks - 1) / chunks
	if rows > 0 {
		return g, pmin
	}
	p = max(pmin, (scoreScratch/g-8*keep*k-16)/12&^255)
	return g, min(p, n)
}

// candSelect is scoreSelect for many queries under the dot product,
// float32 or 16-bit (mma: on tensor cores): the rows are read once for
// each chunk of queries (candShape), a part at a time. Each part's
// scores [g][p] (mmaMatMul, or matmul_tiled for float32; exact products
// summed in float32) go through cand_filter, which appends those better
// than the query's threshold to its candidate buffer; cand_compact keeps
// the best k of a buffer that could not take another part (more than
// keep = candKeep times k keys) and makes the worst of them the
// threshold. At the end cand_compact takes each buffer's best k and
// topk_select orders them. The scores and the tie rule are
// scoreSelect's; only the rows a select sees differ.
func (r *runner) candSelect(at engine.Attrs, q, x arg, qscale, bits, vals, idx dptr, mma bool) error {
	m, d := q.Shape[0], q.Shape[1]
	n, k := x.Shape[0], at.K
	kf := candKeep
	if m <= 64 {
		kf = 2 // a chunk of all the queries either way, and parts a third longer
	}
	if r.b.cfg.CandKeep > 0 {
		kf = r.b.cfg.CandKeep
	}
	g, p := candShape(m, n, k, kf, r.b.cfg.CandRows)
	keep := kf * k
	c := keep + p
	scores, err := r.tmp(g * p * 4)
	if err != nil {
		return err
	}
	buf, err := r.tmp(g * c * 8)
	if err != nil {
		return err
	}
	thr, err := r.tmp(g * 16)
	if err != nil {
		return err
	}
	cnt := thr + uint64(8*g)
	best := scores // free once the last part is filtered, and [g][k] keys fit [g][p] floats when p >= 2k
	if p < 2*k {
		if best, err = r.tmp(g * k * 8); err != nil {
			return err
		}
	}
	compact := candCompactArgs{buf: buf, C: int64(c), cnt: cnt, thr: thr, k: int32(k), at: int32(keep)}
	rowBytes := uint64(d * q.DType.Size())
	for q0 := 0; q0 < m; q0 += g {
		gg := min(g, m-q0)
		if err := r.memset32(buf, 0xffffffff, gg*c*2); err != nil {
			return err
		}
		if err := r.memset32(thr, 0xffffffff, gg*2); err != nil {
			return err
		}
		if err := r.memset32(cnt, 0, gg); err != nil {
			return err
		}
		var sa dptr
		if qscale != 0 {
			sa = qscale + uint64(4*q0)
		}
		// The parts grow from 4k rows, doubling up to p: a part's rows
		// pass a threshold drawn from the rows before it about k times
		// part/rows-before, so each compaction sees a few k keys, never a
		// whole first part of p (one block a query selects them).
		pn := 0
		for p0 := 0; p0 < n; p0 += pn {
			pn = min(p, max(4*k, 2*p0), n-p0)
			qp, xp := q.ptr+uint64(q0)*rowBytes, x.ptr+uint64(p0)*rowBytes
			if mma {
				if err := r.mmaMatMul(q.DType, qp, xp, scores, gg, pn, d, sa, 0); err != nil {
					return err
				}
			} else if err := launch(r.d, matmulVariant(q.DType, x.DType, false), [3]int{(pn + 63) / 64, (gg + 63) / 64}, 256, 0, matmulTiledArgs{
				a: qp, b: xp, c: scores, m: int64(gg), n: int64(pn), K: int64(d), sam: int64(d), sak: 1, sbk: 1, sbn: int64(d), sa: sa}); err != nil {
				return err
			}
			nb := (pn + 2047) / 2048
			if err := launch(r.d, selectVariant(engine.Float32), [3]int{nb, gg}, 256, 0, candFilterArgs{scores: scores, P: int64(pn),
				base: int64(p0), largest: at.Largest, bits: bits, thr: thr, cnt: cnt, buf: buf, C: int64(c)}); err != nil {
				return err
			}
			if p0+pn < n {
				if err := launch(r.d, selectVariant(engine.Float32), [3]int{gg}, 512, 8*k, compact); err != nil {
					return err
				}
			}
		}
		// The best k of each buffer (at least k keys), then their order.
		final := compact
		final.at, final.out = -1, best
		if err := launch(r.d, selectVariant(engine.Float32), [3]int{gg}, 512, 8*k, final); err != nil {
			return err
		}
		if err := r.selectRows(engine.Float32, 0, best, gg, k, k, at.Largest, vals+uint64(4*q0*k), idx+uint64(8*q0*k), 0); err != nil {
			return err
		}
	}
	return nil
}

// rowVariant is the row kernel of scan.cu for these types, in its
// default tuning.
func rowVariant(qt, xt engine.DType, mq, d int, mode int, metric engine.Metric) variant {
	return rowVariantTuned(qt, xt, mq, d, mode, metric, 0, 0)
}

// rowVariantTuned is rowVariant with ru rows loaded at once by a warp
// (vectorised rows only) and registers capped for minb blocks an SM; 0
// for either is the default (rowsAtOnce, rowBlocksPerSM).
func rowVariantTuned(qt, xt engine.DType, mq, d int, mode int, metric engine.Metric, ru, minb int) variant {
	vec := 16 / xt.Size()
	nv := 0
	if d%vec == 0 && (d/vec+31)/32 <= 8 {
		nv = (d/vec + 31) / 32
	}
	kind := "select"
	if mode == 0 {
		kind = "scores"
	}
	if ru == 0 || nv == 0 {
		ru = rowsAtOnce(mq, nv, xt)
	}
	params := []string{qt.String(), fmt.Sprintf("mq%d", mq), fmt.Sprintf("nv%d", nv), fmt.Sprintf("ru%d", ru), metric.String()}
	if minb == 0 {
		minb = rowBlocksPerSM(mq, ru, mode)
	} else if minb != rowBlocksPerSM(mq, ru, mode) {
		params = append(params, fmt.Sprintf("b%d", minb))
	}
	return variant{file: "scan.cu", kind: kind, dtype: xt, params: params,
		defines: []string{"T=" + ctype(xt), "TQ=" + ctype(qt), fmt.Sprintf("MQ=%d", mq), fmt.Sprintf("NV=%d", nv),
			fmt.Sprintf("MODE=%d", mode), fmt.Sprintf("METRIC=%d", metric), fmt.Sprintf("MINB=%d", minb), fmt.Sprintf("RU=%d", ru)}}
}

// rowQStride is the floats a query takes in the shared memory of the
// row scan variant v for rows of d values (scan.cu's QSTRIDE: whole
// warps of 16-byte vectors for a vectorised variant, else d rounded up
// to 4).
func rowQStride(v variant, d int) int {
	for _, p := range v.params {
		var nv int
		if _, err := fmt.Sscanf(p, "nv%d", &nv); err == nil && nv > 0 {
			return nv * 32 * (16 / v.dtype.Size())
		}
	}
	return (d + 3) &^ 3
}

// masked is the row scan variant v reading a row bitmap (MASK=1).
func (v variant) masked() variant {
	v.params = append(slices.Clip(v.params), "mask")
	v.defines = append(slices.Clip(v.defines), "MASK=1")
	return v
}

// rowScores writes the scores of the m (<= 8) rows of a against the n
// rows of b [n, k] into out [m, n]: dot products times sa (if any) and
// the scale and inverse norm of b's rows as asked, or squared distances.
func (r *runner) rowScores(a, b arg, m, n, k int, sa, scales dptr, normB bool, metric engine.Metric, outp dptr) error {
	mq := rowKernelMaxM
	if m == 1 {
		mq = 1
	}
	v := rowVariant(a.DType, b.DType, mq, k, 0, metric)
	if c := r.b.cfg; c.ScoresRU != 0 || c.ScoresMinB != 0 {
		v = rowVariantTuned(a.DType, b.DType, mq, k, 0, metric, c.ScoresRU, c.ScoresMinB)
	}
	nb := max(1, min((n+7)/8, r.d.sms*4))
	return launch(r.d, v, [3]int{nb}, 256, mq*rowQStride(v, k)*4, rowscanArgs{q: a.ptr, x: b.ptr, m: int64(m), n: int64(n), d: int64(k),
		q0: 0, mq: int32(m), qscale: sa, xf: scales, normB: normB, largest: true, out: outp})
}

// rowscanArgs are the parameters of rowscan (scan.cu).
type rowscanArgs struct {
	q, x           dptr
	m, n, d        int64
	q0, mq         int32
	qscale, xf     dptr
	normB, largest bool
	out, cand      dptr
	kk, C          int32
	wbuf, bbuf     dptr
	sortSmem       bool
	bits           dptr // the row bitmap of a masked variant (MASK=1)
}

func (rowscanArgs) entry() (string, string) { return "scan.cu", "rowscan" }
func (p rowscanArgs) pack(a *argPack) {
	a.ptr(p.q).ptr(p.x).i64(p.m).i64(p.n).i64(p.d).i32(p.q0).i32(p.mq).ptr(p.qscale).ptr(p.xf).flag(p.normB).flag(p.largest).
		ptr(p.out).ptr(p.cand).i32(p.kk).i32(p.C).ptr(p.wbuf).ptr(p.bbuf).flag(p.sortSmem).ptr(p.bits)
}

// rowScan is the SIMT search: groups of up to 8 queries (1 for a single
// query), every stored row read once per group; with a row bitmap bits
// (not 0), the masked variant, which scores failing rows as the worst.
func (r *runner) rowScan(at engine.Attrs, q, x arg, scales, bits dptr, vals, idx dptr) error {
	m, d := q.Shape[0], q.Shape[1]
	n, k := x.Shape[0], at.K
	var qscale dptr
	if at.NormA && at.Metric == engine.MetricDot {
		var err error
		if qscale, err = r.rowScales(q, m, d, 0, true, 0); err != nil {
			return err
		}
	}
	mq := 8
	if m == 1 {
		mq = 1
	}
	kk := k
	kp := pow2AtLeast(kk)
	c := max(64, pow2AtLeast(2*kk))
	v := rowVariant(q.DType, x.DType, mq, d, 1, at.Metric)
	if c := r.b.cfg; mq == 1 && (c.RowRU != 0 || c.RowMinB != 0) {
		v = rowVariantTuned(q.DType, x.DType, mq, d, 1, at.Metric, c.RowRU, c.RowMinB)
	}
	if bits != 0 {
		v = v.masked()
	}
	nb := max(1, min((n+255)/256, r.d.sms*v.minb()))
	for nb > 1 && nb*8*mq*c*8 > 256<<20 {
		nb /= 2
	}
	const groups = 16 // the merge of the blocks' candidates runs in two stages past 64 blocks
	if nb >= 4*groups {
		nb -= nb % groups
	}
	wbuf, err := r.tmp(nb * 8 * mq * c * 8)
	if err != nil {
		return err
	}
	bbuf, err := r.tmp(nb * 8 * kp * 8)
	if err != nil {
		return err
	}
	cand, err := r.tmp(m * nb * kk * 8)
	if err != nil {
		return err
	}
	qs := rowQStride(v, d)
	smem := (mq*qs+1)&^1*4 + 8*c*8
	sortSmem := c <= sortSmemMaxC && smem <= r.d.smemOptin
	if !sortSmem {
		smem = mq * qs * 4
	}
	for q0 := 0; q0 < m; q0 += mq {
		g := min(mq, m-q0)
		if err := launch(r.d, v, [3]int{nb}, 256, smem, rowscanArgs{q: q.ptr, x: x.ptr, m: int64(m), n: int64(n), d: int64(d),
			q0: int32(q0), mq: int32(g), qscale: qscale, xf: scales, normB: at.NormB, largest: at.Largest,
			cand: cand, kk: int32(kk), C: int32(c), wbuf: wbuf, bbuf: bbuf, sortSmem: sortSmem, bits: bits}); err != nil {
			return err
		}
	}
	if nb >= 4*groups {
		// [m][groups][nb/groups*kk] -> [m][groups][kk] -> [m][k]
		part, err := r.tmp(m * groups * kk * 8)
		if err != nil {
			return err
		}
		if err := r.selectRows(engine.Float32, 0, cand, m*groups, nb/groups*kk, kk, at.Largest, 0, 0, part); err != nil {
			return err
		}
		return r.selectRows(engine.Float32, 0, part, m, groups*kk, k, at.Largest, vals, idx, 0)
	}
	return r.selectRows(engine.Float32, 0, cand, m, nb*kk, k, at.Largest, vals, idx, 0)
}

// mmaScan is the tensor-core search: scan_wgmma_v5.cu on Hopper, else
// scan_mma_v4.cu (the Config may choose; see scanVersion), finished by
// scan_rescore.cu for float32. Float16 and bfloat16 scores are exact
// products accumulated in float32. Float32 rows are multiplied in TF32;
// each query keeps its best kc = max(2k, k+64) candidates by TF32 score,
// which are scored again exactly in float32, and a bound on the TF32
// error proves that no other row can enter the best k; a query whose
// proof fails is searched again by the exact row scan.
func (r *runner) mmaScan(at engine.Attrs, q, x arg, bits, vals, idx dptr) error {
	m := q.Shape[0]
	k := at.K
	tf32 := x.DType == engine.Float32
	kc := k
	if tf32 {
		kc = tf32Candidates(k)
	}
	qn, qscale, maxnorm, err := r.mmaPrep(at, q)
	if err != nil {
		return err
	}
	cand, parts, trunc, err := r.mmaScanV4(at, q, x, kc, qscale, maxnorm, bits, r.scanVersion(), scanSeed{})
	if err != nil {
		return err
	}
	if !tf32 {
		return r.selectRows(engine.Float32, 0, cand, m, parts*kc, k, at.Largest, vals, idx, 0)
	}
	approx, err := r.tmp(m * kc * 8)
	if err != nil {
		return err
	}
	if err := r.selectRows(engine.Float32, 0, cand, m, parts*kc, kc, at.Largest, 0, 0, approx); err != nil {
		return err
	}
	exact, err := r.tmp(m * kc * 8)
	if err != nil {
		return err
	}
	best, err := r.tmp(m * k * 8)
	if err != nil {
		return err
	}
	ok, err := r.tmp(4 * m)
	if err != nil {
		return err
	}
	if err := r.tf32Finish(at, q, x, kc, qn, qscale, maxnorm, trunc, bits, approx, exact, best, vals, idx, ok); err != nil {
		return err
	}
	return r.refine(at, q, x, bits, ok, vals, idx)
}

// mmaPrep is what a tensor-core search needs before its scans: each
// query's norm qn [m] and scale qscale [m] (rowScales), and the largest
// row norm, zeroed for the scans to raise (maxnorm).
func (r *runner) mmaPrep(at engine.Attrs, q arg) (qn, qscale, maxnorm dptr, err error) {
	m, d := q.Shape[0], q.Shape[1]
	if qn, err = r.tmp(4 * m); err != nil {
		return 0, 0, 0, err
	}
	if qscale, err = r.rowScales(q, m, d, 0, at.NormA, qn); err != nil {
		return 0, 0, 0, err
	}
	if maxnorm, err = r.tmp(4); err != nil {
		return 0, 0, 0, err
	}
	return qn, qscale, maxnorm, r.memset32(maxnorm, 0, 1)
}

// tf32Finish ends a TF32 search of the m queries q (norms qn, scales
// qscale, rows of largest norm maxnorm, operands truncated when trunc):
// their candidates approx [m][kc], best first by TF32 score, are scored
// again exactly into exact [m][kc], the best k of those go to best
// [m][k], and verify writes the ones the error bound proves to vals and
// idx, ok [m] 0 for a query whose proof fails.
func (r *runner) tf32Finish(at engine.Attrs, q, x arg, kc int, qn, qscale, maxnorm dptr, trunc bool,
	bits, approx, exact, best, vals, idx, ok dptr) error {
	m, d := q.Shape[0], q.Shape[1]
	k := at.K
	v := rescoreVariant()
	eps := tf32Bound(d, trunc)
	if err := launch(r.d, v, [3]int{r.d.blocks(m*kc, 8)}, 256, 0, rescoreArgs{q: q.ptr, x: x.ptr, m: int64(m), d: int64(d),
		k: int32(k), kc: int32(kc), qnorm: qn, qscale: qscale, xmax: maxnorm, normB: at.NormB, eps: eps, largest: at.Largest,
		approx: approx, exact: exact, bits: bits}); err != nil {
		return err
	}
	if err := r.selectRows(engine.Float32, 0, exact, m, kc, k, at.Largest, 0, 0, best); err != nil {
		return err
	}
	return launch(r.d, v, [3]int{r.d.blocks(m*k, 256)}, 256, 0, verifyArgs{best: best, approx: approx, m: int64(m),
		k: int32(k), kc: int32(kc), qnorm: qn, qscale: qscale, xmax: maxnorm, normB: at.NormB, eps: eps,
		largest: at.Largest, vals: vals, idx: idx, ok: ok})
}

// readFlags waits for the device and reads the n int32 flags at p,
// through the pinned buffer (a synchronous copy of 512 bytes into
// pageable memory took 17 to 112 us on the H100 hosts of runs 25 and 26).
func (r *runner) readFlags(p dptr, n int) ([]int32, error) {
	if err := r.d.sync(); err != nil {
		return nil, err
	}
	flags := make([]int32, n)
	return flags, r.d.readSmall(unsafe.Slice((*byte)(unsafe.Pointer(&flags[0])), 4*n), p)
}

// rescoreArgs are the parameters of rescore (scan_rescore.cu).
type rescoreArgs struct {
	q, x                dptr
	m, d                int64
	k, kc               int32
	qnorm, qscale, xmax dptr
	normB               bool
	eps                 float32
	largest             bool
	approx, exact       dptr
	bits                dptr
}

func (rescoreArgs) entry() (string, string) { return "scan_rescore.cu", "rescore" }
func (p rescoreArgs) pack(a *argPack) {
	a.ptr(p.q).ptr(p.x).i64(p.m).i64(p.d).i32(p.k).i32(p.kc).ptr(p.qnorm).ptr(p.qscale).ptr(p.xmax).flag(p.normB).
		f32(p.eps).flag(p.largest).ptr(p.approx).ptr(p.exact).ptr(p.bits)
}

// verifyArgs are the parameters of verify (scan_rescore.cu).
type verifyArgs struct {
	best, approx        dptr
	m                   int64
	k, kc               int32
	qnorm, qscale, xmax dptr
	normB               bool
	eps                 float32
	largest             bool
	vals, idx, ok       dptr
}

func (verifyArgs) entry() (string, string) { return "scan_rescore.cu", "verify" }
func (p verifyArgs) pack(a *argPack) {
	a.ptr(p.best).ptr(p.approx).i64(p.m).i32(p.k).i32(p.kc).ptr(p.qnorm).ptr(p.qscale).ptr(p.xmax).flag(p.normB).
		f32(p.eps).flag(p.largest).ptr(p.vals).ptr(p.idx).ptr(p.ok)
}

// tf32Candidates is kc, the candidates a query of a TF32 search keeps
// by TF32 score for exact re-scoring: max(2k, k+64).
func tf32Candidates(k int) int { return max(2*k, k+64) }

// tf32Bound is eps, the relative error bound of a TF32 score of rows of
// length d: |exact - tf32| <= eps |q| |x|, with the operands rounded to
// TF32 (mma.sync after cvt.rna) or truncated (trunc: wgmma reads the
// float32 bits). TF32 keeps 10 bits of mantissa: each operand is off by
// at most 2^-11 of itself rounded, 2^-10 truncated, so a product by
// 2^-10 or 2^-9; the float32 accumulation adds 2(d+2) units of 2^-22 (a
// 4x margin over round-to-nearest, for the tensor cores' truncating
// adds). verify (scan_rescore.cu) proves a query's best k with it: too small
// a bound returns wrong rows (TestTF32BoundEmulated, TestTF32Bound).
func tf32Bound(d int, trunc bool) float32 {
	rel := math.Ldexp(1, -10)
	if trunc {
		rel = math.Ldexp(1, -9)
	}
	return float32(rel + 2*float64(d+2)*math.Ldexp(1, -22))
}

// mmaSumSquares is "1" when the tensor-core scan must sum the squares of
// the stored rows (normB, or the TF32 error bound), else "0".
func mmaSumSquares(at engine.Attrs, t engine.DType) string {
	if at.NormB || t == engine.Float32 {
		return "1"
	}
	return "0"
}

// rescoreVariant is scan_rescore.cu, which ends a TF32 search: rescore
// and verify, for float32 rows.
func rescoreVariant() variant {
	return variant{file: "scan_rescore.cu", kind: "exact", dtype: engine.Float32}
}

// refine searches again, exactly, the queries whose TF32 bound failed
// (through the row bitmap bits when not 0).
func (r *runner) refine(at engine.Attrs, q, x arg, bits, ok, vals, idx dptr) error {
	m, d := q.Shape[0], q.Shape[1]
	if r.d.dry { // compile what a failed proof would run
		one := q
		one.Shape = engine.Shape{1, d}
		return r.rowScan(at, one, x, 0, bits, vals, idx)
	}
	flags, err := r.readFlags(ok, m)
	if err != nil {
		return err
	}
	k := at.K
	rowBytes := d * q.DType.Size()
	for i, f := range flags {
		if f != 0 {
			continue
		}
		one := q
		one.Shape = engine.Shape{1, d}
		one.ptr = q.ptr + uint64(i*rowBytes)
		if err := r.rowScan(at, one, x, 0, bits, vals+uint64(4*i*k), idx+uint64(8*i*k)); err != nil {
			return err
		}
		r.b.refined.Add(1)
	}
	return nil
}

// minb is the blocks an SM a row-scan variant's registers are capped
// for (its MINB define).
func (v variant) minb() int {
	for _, d := range v.defines {
		if n, ok := strings.CutPrefix(d, "MINB="); ok {
			b, _ := strconv.Atoi(n)
			return max(1, b)
		}
	}
	return 1
}
