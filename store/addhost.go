package store

import (
	"errors"
	"math"
	"sync"
	"unsafe"

	"github.com/silica-go/silica/engine"
	"github.com/silica-go/silica/half"
	"github.com/silica-go/silica/internal/par"
)

// hostSlack makes a host arena grow by a quarter (doubling while small,
// see growRows): each row is copied about four times at most by growth.
const hostSlack = 4

// writeHost writes an add's batch into host arenas (backends that use
// host memory in place): one pass over the input that checks each row,
// normalizes (Cosine), converts (float16) or quantizes (int8) it, and
// writes it into the arena's bytes past the rows readers see, on all
// cores. It returns the next rows of each chunk's arena; on a bad row it
// returns the error checkVectors gives, and nothing has changed.
func (s *Store) writeHost(op string, chunks []chunk, ids []int64, vectors [][]float32) ([]rows, error) {
	d, dt := s.cfg.dim, s.cfg.dtype
	rb := d * dt.Size()
	q8 := dt == engine.Int8
	next := make([]rows, len(chunks))
	var made []*engine.Array
	fail := func(err error) ([]rows, error) {
		for _, x := range made {
			x.Free()
		}
		return nil, err
	}
	for i, c := range chunks {
		var cur rows
		if c.a != nil {
			cur = c.a.rows
		}
		n, need := cur.n(), cur.n()+c.hi-c.lo
		host, hs := cur.host, cur.hostScales
		if cur.m != nil || cap(host) < need*rb {
			nc := growRows(need, rb, hostSlack, s.cfg.segRows)
			host = append(alignedBytes(nc * rb)[:0], cur.host...)
			if q8 {
				hs = append(alignedBytes(4 * nc)[:0], cur.hostScales...)
			}
		}
		host = host[:need*rb]
		var sc []float32
		if q8 {
			hs = hs[:4*need]
			sc = unsafe.Slice((*float32)(unsafe.Pointer(&hs[4*n])), need-n)
		}
		if !s.convertRows(host[n*rb:], sc, vectors[c.lo:c.hi]) {
			if err := s.checkVectors(op, "vector", vectors, ids); err != nil {
				return fail(err)
			}
			return fail(errors.New("store: " + op + ": a vector failed the conversion but passes the checks (a bug)"))
		}
		x, _, err := wrap(s.e, true, host, dt, need, d)
		if err != nil {
			return fail(opErr(err, "%s: wrap %d rows", op, need))
		}
		made = append(made, x)
		nx := rows{x: x, host: host, hostScales: hs, ids: append(cur.ids, ids[c.lo:c.hi]...)}
		if q8 {
			if nx.scales, _, err = wrap(s.e, true, hs, engine.Float32, need); err != nil {
				return fail(opErr(err, "%s: wrap %d scales", op, need))
			}
			made = append(made, nx.scales)
		}
		next[i] = nx
	}
	return next, nil
}

// convertRows converts vectors into dst (rows of the storage dtype) and,
// for int8, scales, split over the machine's cores. It reports false if a
// row is not finite, zero under Cosine, or beyond float16's range with
// float16 storage (checkVectors then names it).
func (s *Store) convertRows(dst []byte, scales []float32, vectors [][]float32) bool {
	n, d := len(vectors), s.cfg.dim
	rb := d * s.cfg.dtype.Size()
	var bad sync.Once
	ok := true
	par.Rows(n, d, func(lo, hi int) {
		tmp := make([]float32, d)
		for r := lo; r < hi; r++ {
			var sc *float32
			if scales != nil {
				sc = &scales[r]
			}
			if !s.convertRow(dst[r*rb:(r+1)*rb], sc, vectors[r], tmp) {
				bad.Do(func() { ok = false })
				return
			}
		}
	})
	return ok
}

// convertRow writes row v into out in the storage dtype (scale: its int8
// scale), as flatten, engine.Normalize, Cast and Quantize would: under
// Cosine a row whose largest magnitude is outside [1e-6, 1e15] is
// divided by it first, then by its norm. tmp has length Dim. It reports
// false for a row checkVectors refuses.
func (s *Store) convertRow(out []byte, scale *float32, v, tmp []float32) bool {
	cosine := s.cfg.metric == Cosine
	var m float32
	var ss float64
	finite := true
	m, ss, finite = maxAbsSquares(v) // ss serves Cosine only
	if !finite {
		return false
	}
	inv := float32(1)
	if cosine {
		if m == 0 {
			return false
		}
		pre := float32(1)
		if m < 1e-6 || m > 1e15 {
			pre = 1 / m
			ss = sumSquares(v, pre)
		}
		inv = float32(float64(pre) / max(math.Sqrt(ss), 1e-12))
	}
	switch s.cfg.dtype {
	case engine.Float32:
		dst := unsafe.Slice((*float32)(unsafe.Pointer(&out[0])), len(v))
		if inv == 1 {
			copy(dst, v)
		} else {
			scaleInto(dst, v, inv)
		}
	case engine.Float16:
		if !cosine && math.IsInf(float64(half.Round16(m)), 0) {
			return false
		}
		scaleInto(tmp, v, inv)
		half.EncodeFloat16(out, tmp)
	case engine.Int8:
		scaleInto(tmp, v, inv)
		*scale = quantizeRow(tmp, unsafe.Slice((*int8)(unsafe.Pointer(&out[0])), len(v)))
	}
	return true
}

// maxAbsSquaresGo is maxAbsSquares in Go: the largest magnitude in v,
// sumSquares(v, 1), and whether every value is finite, in one pass.
func maxAbsSquaresGo(v []float32) (float32, float64, bool) {
	var m0, m1, m2, m3, s0, s1, s2, s3 float32
	i := 0
	for ; i+4 <= len(v); i += 4 {
		x0, x1, x2, x3 := v[i], v[i+1], v[i+2], v[i+3]
		a0 := math.Float32frombits(math.Float32bits(x0) &^ (1 << 31))
		a1 := math.Float32frombits(math.Float32bits(x1) &^ (1 << 31))
		a2 := math.Float32frombits(math.Float32bits(x2) &^ (1 << 31))
		a3 := math.Float32frombits(math.Float32bits(x3) &^ (1 << 31))
		if !(a0 <= math.MaxFloat32 && a1 <= math.MaxFloat32 && a2 <= math.MaxFloat32 && a3 <= math.MaxFloat32) {
			return 0, 0, false
		}
		if a0 > m0 {
			m0 = a0
		}
		if a1 > m1 {
			m1 = a1
		}
		if a2 > m2 {
			m2 = a2
		}
		if a3 > m3 {
			m3 = a3
		}
		s0 += x0 * x0
		s1 += x1 * x1
		s2 += x2 * x2
		s3 += x3 * x3
	}
	for ; i < len(v); i++ {
		a := math.Float32frombits(math.Float32bits(v[i]) &^ (1 << 31))
		if !(a <= math.MaxFloat32) {
			return 0, 0, false
		}
		if a > m0 {
			m0 = a
		}
		s0 += v[i] * v[i]
	}
	return max(m0, m1, m2, m3), float64(s0) + float64(s1) + float64(s2) + float64(s3), true
}

// sumSquares returns the sum of (pre*x)² over v, accumulated in float32
// lanes and added in float64.
func sumSquares(v []float32, pre float32) float64 {
	var s0, s1, s2, s3 float32
	i := 0
	for ; i+4 <= len(v); i += 4 {
		a0, a1, a2, a3 := v[i]*pre, v[i+1]*pre, v[i+2]*pre, v[i+3]*pre
		s0 += a0 * a0
		s1 += a1 * a1
		s2 += a2 * a2
		s3 += a3 * a3
	}
	for ; i < len(v); i++ {
		a := v[i] * pre
		s0 += a * a
	}
	return float64(s0) + float64(s1) + float64(s2) + float64(s3)
}

// scaleIntoGo is scaleInto in Go.
func scaleIntoGo(dst, v []float32, f float32) {
	dst = dst[:len(v)]
	i := 0
	for ; i+4 <= len(v); i += 4 {
		dst[i], dst[i+1], dst[i+2], dst[i+3] = v[i]*f, v[i+1]*f, v[i+2]*f, v[i+3]*f
	}
	for ; i < len(v); i++ {
		dst[i] = v[i] * f
	}
}

// quantizeRow quantizes x into q as every backend's quantize kernel does
// (cpu.QuantizeRow): scale = max|x|/127 (1 for a zero row), q =
// round(x/scale) with ties away from zero, clamped to ±127.
func quantizeRow(x []float32, q []int8) float32 {
	m, _, _ := maxAbsSquares(x)
	scale := m / 127
	if scale == 0 {
		scale = 1
	}
	for i, v := range x {
		q[i] = int8(max(-127, min(127, roundAway(v/scale))))
	}
	return scale
}

// roundAway rounds y to the nearest integer, halves away from zero, as
// math.Round does, for |y| < 2^31 (a quantized value is at most about
// 127), without branches: y ± 1/2 is exact in float64, then truncated.
func roundAway(y float32) int32 {
	f := float64(y)
	return int32(f + math.Copysign(0.5, f))
}

// alignedBytes returns n zeroed bytes aligned for any element type.
func alignedBytes(n int) []byte {
	if n == 0 {
		return nil
	}
	w := make([]uint64, (n+7)/8)
	return unsafe.Slice((*byte)(unsafe.Pointer(&w[0])), 8*len(w))[:n:n]
}
