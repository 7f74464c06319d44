package cpu

import (
	"math"

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

// tileRows is the number of stored rows the many-query scan scores at a
// time with the gemm: a multiple of every micro-kernel width.
const tileRows = 128

// scanJob is one fused scan: queries Q [m, d] (float32, normalized when
// the metric asks), stored rows x [n, d] and their scales when quantized.
type scanJob struct {
	a      engine.Attrs
	Q      []float32
	m, d   int
	x      arg
	scales []float32
}

// scanKernel is the fused search: the stored rows x [n, d] are split among
// the workers; each reads its rows once, scores them against every query
// and keeps a selection per query; the selections are merged at the end.
// No [m, n] score matrix exists at any time.
func scanKernel(c *Backend, s *engine.Step, in, out []arg) error {
	a := s.Attrs
	q, x := in[0], in[1]
	j := scanJob{a: a, m: q.Shape[0], d: q.Shape[1], x: x}
	if a.Quantize {
		j.scales = f32(in[2].b)
	}
	j.Q, _, _ = c.rowsOf(q, false, a.NormA && a.Metric == engine.MetricDot, nil)
	o := order{a.Largest}
	direct := rowKernel(x.DType, a.Metric == engine.MetricL2)
	sels := make([][]*selector, c.workers)
	used := c.parallelWorkers(x.Shape[0], 256, func(w, lo, hi int) {
		mine := make([]*selector, j.m)
		for i := range mine {
			mine[i] = newSelector(o, a.K)
		}
		switch {
		case direct != nil && j.m <= directMaxQueries:
			j.direct(direct, lo, hi, mine)
		case a.Metric == engine.MetricDot && j.m > directMaxQueries:
			j.tiles(lo, hi, mine)
		default:
			j.blocks(lo, hi, mine)
		}
		sels[w] = mine
	})
	vals := f32(out[0].b)
	idx := make([]int64, a.K)
	for i := range j.m {
		merged := newSelector(o, a.K)
		for _, mine := range sels[:used] {
			for k := range mine[i].vals {
				merged.push(mine[i].vals[k], mine[i].idx[k])
			}
		}
		merged.sorted(vals[i*a.K:(i+1)*a.K], idx)
		putIndices(out[1].b, i*a.K, idx)
	}
	return nil
}

// direct scores rows [lo, hi) with a direct row kernel per query.
func (j *scanJob) direct(k func(q []float32, x []byte, scale float32) (float32, float32), lo, hi int, mine []*selector) {
	d, rb := j.d, j.d*j.x.DType.Size()
	l2 := j.a.Metric == engine.MetricL2
	for r := lo; r < hi; r++ {
		row := j.x.b[r*rb : (r+1)*rb]
		scale := float32(1)
		if j.scales != nil {
			scale = j.scales[r]
		}
		for i, sel := range mine {
			r0, ss := k(j.Q[i*d:(i+1)*d], row, scale)
			switch {
			case l2:
			case j.a.NormB:
				r0 *= scale * float32(1/max(float64(scale)*math.Sqrt(float64(ss)), NormEps))
			default:
				r0 *= scale
			}
			sel.offer(r0, int64(r))
		}
	}
}

// tiles scores rows [lo, hi) by dot product, tileRows at a time: the
// scores of all queries against the tile come from the blocked gemm (so
// each stored value is loaded once per six queries, not once per query),
// into a [m, tileRows] buffer that is reused.
func (j *scanJob) tiles(lo, hi int, mine []*selector) {
	d := j.d
	var scratch []float32
	if j.x.DType != engine.Float32 {
		scratch = make([]float32, tileRows*d)
	}
	factors := make([]float32, tileRows)
	scores := make([]float32, j.m*tileRows)
	var gs []float32
	for r0 := lo; r0 < hi; r0 += tileRows {
		nb := min(tileRows, hi-r0)
		rows := load(j.x.DType, j.x.b, r0*d, nb*d, scratch)
		var scales []float32
		if j.scales != nil {
			scales = j.scales[r0 : r0+nb]
		}
		scanFactors(j.a, rows, d, scales, factors[:nb])
		gs = gemmSerial(j.m, nb, d, matrix{j.Q, d, 1}, matrix{rows, 1, d}, scores, gs)
		for i, sel := range mine {
			for r, v := range scores[i*nb : (i+1)*nb] {
				sel.offer(v*factors[r], int64(r0+r))
			}
		}
	}
}

// blocks scores rows [lo, hi) a block at a time: the block converted to
// float32 (a view when stored so), then the float32 kernels per row and
// query.
func (j *scanJob) blocks(lo, hi int, mine []*selector) {
	d := j.d
	block := max(1, scanBlock/d)
	var scratch []float32
	if j.x.DType != engine.Float32 {
		scratch = make([]float32, block*d)
	}
	factors := make([]float32, block)
	for r0 := lo; r0 < hi; r0 += block {
		r1 := min(r0+block, hi)
		rows := load(j.x.DType, j.x.b, r0*d, (r1-r0)*d, scratch)
		var scales []float32
		if j.scales != nil {
			scales = j.scales[r0:r1]
		}
		scanFactors(j.a, rows, d, scales, factors[:r1-r0])
		for r := r0; r < r1; r++ {
			row := rows[(r-r0)*d : (r-r0+1)*d]
			if j.a.Metric == engine.MetricL2 {
				for i, sel := range mine {
					sel.offer(sqDist(j.Q[i*d:(i+1)*d], row), int64(r))
				}
				continue
			}
			f := factors[r-r0]
			for i, sel := range mine {
				sel.offer(dot(j.Q[i*d:(i+1)*d], row)*f, int64(r))
			}
		}
	}
}

// scanFactors computes the factor each row's dot product is multiplied by
// (its scale when quantized, times its inverse norm when a.NormB), or, for
// L2 over quantized rows, scales the rows themselves, which are then a
// converted copy. scales is empty unless a.Quantize.
func scanFactors(a engine.Attrs, rows []float32, d int, scales, factors []float32) {
	for r := range factors {
		row := rows[r*d : (r+1)*d]
		f := float32(1)
		if len(scales) > 0 {
			f = scales[r]
		}
		switch {
		case a.Metric == engine.MetricL2:
			if f != 1 {
				for j := range row {
					row[j] *= f
				}
			}
		case a.NormB:
			f *= invNormScaled(row, f)
		}
		factors[r] = f
	}
}

// invNormScaled is 1/max(||scale·x||, NormEps), the sum of squares in
// float32 (see sumSquares32): the scan's row norm, exact to a few float32
// ulps (and exact for int8 rows up to 1040 elements).
func invNormScaled(x []float32, scale float32) float32 {
	n := float64(scale) * math.Sqrt(float64(sumSquares32(x)))
	return float32(1 / max(n, NormEps))
}
