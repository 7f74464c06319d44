//go:build !amd64

package store

// maxAbsSquares returns the largest magnitude in v, the sum of its
// squares (float32 lanes added in float64), and whether every value is
// finite, in one pass.
func maxAbsSquares(v []float32) (float32, float64, bool) { return maxAbsSquaresGo(v) }

// scaleInto writes v*f into dst.
func scaleInto(dst, v []float32, f float32) { scaleIntoGo(dst, v, f) }
