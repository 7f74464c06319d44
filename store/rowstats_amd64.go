package store

import (
	"math"

	"github.com/silica-go/silica/internal/cpufeat"
	"github.com/silica-go/silica/internal/vec"
)

// The add's per-row passes (checks, norm, scaling) run in AVX2 where the
// machine has it (internal/vec): the Go loops ran at about 0.8 GB/s of
// input for the whole add on two cores, below issue 15's 1 GB/s.

var useAVX2 = cpufeat.AVX2FMA()

// maxAbsSquares returns the largest magnitude in v, the sum of its
// squares (float32 lanes added in float64), and whether every value is
// finite, in one pass.
func maxAbsSquares(v []float32) (float32, float64, bool) {
	if !useAVX2 || len(v) < 8 {
		return maxAbsSquaresGo(v)
	}
	var sums [8]float32
	n := len(v) &^ 7
	bits := vec.RowStatsAVX2(&v[0], n, &sums)
	m, ss, ok := maxAbsSquaresGo(v[n:])
	if !ok || bits >= 0x7f800000 {
		return 0, 0, false
	}
	for _, s := range sums {
		ss += float64(s)
	}
	return max(m, math.Float32frombits(bits)), ss, true
}

// scaleInto writes v*f into dst.
func scaleInto(dst, v []float32, f float32) {
	if useAVX2 {
		vec.ScaleAVX2(dst[:len(v)], v, f)
		return
	}
	scaleIntoGo(dst, v, f)
}
