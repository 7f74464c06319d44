package main

import (
	"fmt"
	"math"

	"github.com/silica-go/silica/engine"
)

// Tolerances of the checks. A backend passes when every element is within
// its tolerance of the reference: wide enough for float32 sums in another
// order, for TF32 tensor cores and for inputs rounded to half precision
// where the case stores them so, and far too narrow for a wrong answer.
const (
	// tolDot bounds the error of a dot product of rows a and b, relative
	// to |a|·|b| (the Cauchy–Schwarz bound on its value). TF32's unit
	// roundoff is 2^-11, about 4.9e-4, but its errors are independent and
	// cancel: measured errors of 1024-long TF32 dot products stay below
	// 3e-5 of |a|·|b|.
	tolDot = 1e-4
	// tolNormalize bounds the error of each element of a unit row.
	tolNormalize = 1e-5
	// tolFMA bounds the error of a*b+c relative to |a·b| + |c|: two float32
	// roundings (or one, fused) give at most 1.2e-7.
	tolFMA = 1e-6
)

// tolScore returns the tolerance of a search score, relative to the
// score's scale (1 for cosine; |q|·max|x| for dot; (|q| + max|x|)² for
// l2), for rows stored as dt.
func tolScore(dt engine.DType) float64 {
	switch dt {
	case engine.Float16:
		return 4e-3 // rows rounded to 11 bits: 2^-11 of each product
	case engine.BFloat16:
		return 3e-2 // 8 bits
	}
	return 2e-4
}

// unitRoundoff returns half the spacing of dt's numbers near 1.
func unitRoundoff(dt engine.DType) float64 {
	switch dt {
	case engine.Float16:
		return 0x1p-11
	case engine.BFloat16:
		return 0x1p-8
	}
	return 0x1p-24
}

// checkShapes checks that out holds tensors of the expected shapes and
// element kinds.
func checkShapes(out []tensor, want ...tensor) error {
	if len(out) != len(want) {
		return fmt.Errorf("%d outputs, want %d", len(out), len(want))
	}
	for i := range want {
		if !engine.Shape(out[i].Shape).Equal(want[i].Shape) || (out[i].I64 == nil) != (want[i].I64 == nil) {
			return fmt.Errorf("output %d is %s, want %s", i, &out[i], &want[i])
		}
		if got := len(out[i].F32) + len(out[i].I64); got != want[i].size() {
			return fmt.Errorf("output %d has %d elements, want %d", i, got, want[i].size())
		}
	}
	return nil
}

// closeTo checks got against want element by element: |got-want| <=
// tol(i), and NaN only where want is NaN. It names the worst element and
// counts the others.
func closeTo(got, want []float32, shape []int, tol func(i int) float64) error {
	if len(got) != len(want) {
		return fmt.Errorf("%d elements, want %d", len(got), len(want))
	}
	bad, worst, worstRatio := 0, -1, 0.0
	for i := range want {
		g, w := float64(got[i]), float64(want[i])
		if math.IsNaN(w) && math.IsNaN(g) {
			continue
		}
		t := tol(i)
		d := math.Abs(g - w)
		if !(d <= t) { // NaN compares false: a NaN where a number belongs is wrong
			bad++
			r := d / t
			if math.IsNaN(r) {
				r = math.Inf(1)
			}
			if worst < 0 || r > worstRatio {
				worst, worstRatio = i, r
			}
		}
	}
	if bad == 0 {
		return nil
	}
	return fmt.Errorf("%d of %d elements off; worst at %v: got %g, want %g (tolerance %.3g)",
		bad, len(want), position(worst, shape), got[worst], want[worst], tol(worst))
}

// equalTo checks that got is exactly want (copies: gather, slice).
func equalTo(got, want []float32, shape []int) error {
	return closeTo(got, want, shape, func(int) float64 { return 0 })
}

// position turns a flat index into a row and column for messages.
func position(i int, shape []int) []int {
	if len(shape) < 2 {
		return []int{i}
	}
	return []int{i / shape[1], i % shape[1]}
}

// rowNorms returns the L2 norm of each row of the rows x cols matrix x,
// summed in float64.
func rowNorms(x []float32, cols int) []float64 {
	out := make([]float64, len(x)/cols)
	for r := range out {
		var s float64
		for _, v := range x[r*cols : (r+1)*cols] {
			s += float64(v) * float64(v)
		}
		out[r] = math.Sqrt(s)
	}
	return out
}

// dot64 returns the float64 dot product of a and b.
func dot64(a, b []float32) float64 {
	var s float64
	for i := range a {
		s += float64(a[i]) * float64(b[i])
	}
	return s
}
