package cpu

// The AVX2 threshold tests (select_amd64.s): the index of the first of
// the len(v) &^ 7 scores not strictly behind t, else len(v) &^ 7.

//go:noescape
func firstNotBelowAVX2(v []float32, t float32) int

//go:noescape
func firstNotAboveAVX2(v []float32, t float32) int

// withTailScan extends an assembly threshold test to the last len(v) % 8
// scores.
func withTailScan(k func([]float32, float32) int, portable func([]float32, float32) int) func([]float32, float32) int {
	return func(v []float32, t float32) int {
		i := k(v, t)
		if n8 := len(v) &^ 7; i == n8 {
			return n8 + portable(v[n8:], t)
		}
		return i
	}
}
