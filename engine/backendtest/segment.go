package backendtest

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/silica-go/silica/engine"
)

// testSegment checks SegmentSum and SegmentMax against SegmentRef
// (float64, on the inputs rounded to each dtype): one row, one segment,
// many segments of one row, a segment longer than the others by far,
// more segments than one Metal dispatch takes (1023), widths that are
// not a multiple of 32 or of 4 (7, 383) and one that is (384), NaN and
// infinities in the input; then the builders' errors. A sum is held to
// SumTol over its terms' magnitudes, as testReduce holds Sum; a maximum
// is one of the inputs, so it must be exact.
func testSegment(t *testing.T, s *suite) {
	many := make([]int, 300)
	for i := range many {
		many[i] = 1
	}
	over := make([]int, 1100)
	for i := range over {
		over[i] = 1 + i%3
	}
	mixed := make([]int, 60)
	for i := range mixed {
		mixed[i] = 1 + s.rng.IntN(40)
	}
	cases := []struct {
		h       int
		lengths []int
		special bool // a NaN, an Inf and a -Inf among the inputs
	}{
		{7, []int{1}, false},
		{384, []int{37}, false},
		{33, many, false},
		{383, []int{3, 700, 1, 2}, true},
		{384, mixed, true},
		{7, over, false},
		{4, []int{2, 1, 5}, true},
	}
	for _, dt := range floatTypes {
		for _, c := range cases {
			sh := engine.Shape{rowsOf(c.lengths), c.h}
			gen := normal
			if c.special {
				gen = sprinkle(sh.Size(), s.rng)
			}
			x, xv := s.random(t, dt, sh, gen)
			for _, op := range []engine.Op{engine.OpSegmentSum, engine.OpSegmentMax} {
				build := engine.SegmentSum
				if op == engine.OpSegmentMax {
					build = engine.SegmentMax
				}
				want, tol := SegmentRef(op, xv.v, c.h, c.lengths)
				what := name(op, " ", dt, sh, " of ", len(c.lengths), " segments")
				expectEach(t, what, s.ok(build(x, c.lengths)), engine.Shape{len(c.lengths), c.h}, want, tol)
			}
		}
	}
	x, _ := s.random(t, engine.Float32, engine.Shape{6, 8}, normal)
	vec, _ := s.random(t, engine.Float32, engine.Shape{6}, normal)
	ints := s.ok(s.e.FromInt32(make([]int32, 12), 6, 2))
	for _, c := range []struct {
		what    string
		x       *engine.Array
		lengths []int
	}{
		{"a vector", vec, []int{6}},
		{"an int32 matrix", ints, []int{6}},
		{"no lengths", x, nil},
		{"a length of 0", x, []int{6, 0}},
		{"a negative length", x, []int{7, -1}},
		{"lengths summing to 5", x, []int{2, 3}},
		{"lengths summing to 7", x, []int{2, 5}},
	} {
		if _, err := engine.SegmentSum(c.x, c.lengths); err == nil {
			t.Errorf("segment_sum of %s: no error", c.what)
		}
		if _, err := engine.SegmentMax(c.x, c.lengths); err == nil {
			t.Errorf("segment_max of %s: no error", c.what)
		}
	}
}

// rowsOf is the rows of packed segments of lengths.
func rowsOf(lengths []int) int {
	n := 0
	for _, l := range lengths {
		n += l
	}
	return n
}

// sprinkle returns a generator of normal values that puts a NaN, +Inf and
// -Inf among the first n it draws, at random positions.
func sprinkle(n int, r *rand.Rand) func(*rand.Rand) float64 {
	at := map[int]float64{r.IntN(n): math.NaN(), r.IntN(n): math.Inf(1), r.IntN(n): math.Inf(-1)}
	i := 0
	return func(r *rand.Rand) float64 {
		v, ok := at[i]
		i++
		if ok {
			return v
		}
		return r.NormFloat64()
	}
}

// SegmentRef is SegmentSum (op OpSegmentSum) or SegmentMax (OpSegmentMax)
// in float64 of x [n, h], exported for the backends' own tests of their
// kernels, with the tolerance of each element: for a sum SumTol·√l times
// the sum of its l terms' magnitudes (plus the result's rounding to
// float32), for a maximum 0. A NaN among a segment's elements of a column
// makes that result NaN; so does +Inf with -Inf in a sum.
func SegmentRef(op engine.Op, x []float64, h int, lengths []int) (want, tol []float64) {
	want = make([]float64, len(lengths)*h)
	tol = make([]float64, len(want))
	r0 := 0
	for i, l := range lengths {
		for j := range h {
			acc, mag := math.Inf(-1), 0.0
			if op == engine.OpSegmentSum {
				acc = 0
			}
			for r := r0; r < r0+l; r++ {
				v := x[r*h+j]
				if op == engine.OpSegmentSum {
					acc += v
					mag += math.Abs(v)
				} else if math.IsNaN(v) || math.IsNaN(acc) {
					acc = math.NaN()
				} else {
					acc = math.Max(acc, v)
				}
			}
			want[i*h+j] = acc
			if op == engine.OpSegmentSum {
				tol[i*h+j] = SumTol*math.Sqrt(float64(l))*mag + 0x1p-24*math.Abs(acc)
			}
		}
		r0 += l
	}
	return want, tol
}
