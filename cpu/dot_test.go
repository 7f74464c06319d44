package cpu

import (
	"math"
	"math/rand/v2"
	"testing"
)

// smallInts fills x with integers in [-8, 8]: their products and sums up
// to 2^24 are exact in float32, so every kernel must give the exact sum,
// whatever its order of additions, and a skipped or doubled element shows.
func smallInts(r *rand.Rand, x []float32) {
	for i := range x {
		x[i] = float32(r.IntN(17) - 8)
	}
}

func normals(r *rand.Rand, x []float32) {
	for i := range x {
		x[i] = float32(r.NormFloat64())
	}
}

// vectorPair returns operands of length n starting at element offsets oa
// and ob of larger buffers (so the kernels see unaligned slices), with
// poisoned elements after their ends.
func vectorPair(r *rand.Rand, n, oa, ob int, fill func(*rand.Rand, []float32)) (a, b []float32) {
	bufA := make([]float32, oa+n+8)
	bufB := make([]float32, ob+n+8)
	for i := range bufA {
		bufA[i] = float32(math.NaN())
	}
	for i := range bufB {
		bufB[i] = float32(math.NaN())
	}
	a, b = bufA[oa:oa+n], bufB[ob:ob+n]
	fill(r, a)
	fill(r, b)
	return a, b
}

// dotRef is the dot product, the squared distance and the sum of |a_i b_i|
// (or of the squared differences) in float64.
func dotRef(a, b []float32) (dot, sq, mag float64) {
	for i := range a {
		x, y := float64(a[i]), float64(b[i])
		dot += x * y
		sq += (x - y) * (x - y)
		mag += math.Abs(x * y)
	}
	return dot, sq, mag
}

// The error bound of a float32 sum of n terms in any order is about
// n * 2^-24 * sum|terms|; the kernels sum in blocks, far below it.
func sumBound(n int, mag float64) float64 { return float64(n+1) * 0x1p-24 * mag }

func TestDotKernelsExact(t *testing.T) {
	needSIMD(t)
	r := rand.New(rand.NewPCG(1, 1))
	for _, n := range testLengths() {
		for o := range 4 {
			a, b := vectorPair(r, n, o, 3-o, smallInts)
			d, sq, _ := dotRef(a, b)
			if got := dot(a, b); float64(got) != d {
				t.Errorf("dot n=%d offsets %d,%d: got %v, want %v", n, o, 3-o, got, d)
			}
			if got := sqDist(a, b, 1); float64(got) != sq {
				t.Errorf("sqDist n=%d: got %v, want %v", n, got, sq)
			}
			ss, _, _ := dotRef(a, a)
			if got := sumSquares(a); got != ss {
				t.Errorf("sumSquares n=%d: got %v, want %v", n, got, ss)
			}
		}
	}
}

func TestDotKernelsRandom(t *testing.T) {
	needSIMD(t)
	r := rand.New(rand.NewPCG(2, 2))
	for _, n := range testLengths() {
		a, b := vectorPair(r, n, 1, 2, normals)
		d, sq, mag := dotRef(a, b)
		if got := dot(a, b); math.Abs(float64(got)-d) > sumBound(n, mag) {
			t.Errorf("dot n=%d: got %v, want %v (bound %g)", n, got, d, sumBound(n, mag))
		}
		if got := sqDist(a, b, 1); math.Abs(float64(got)-sq) > sumBound(n, sq) {
			t.Errorf("sqDist n=%d: got %v, want %v", n, got, sq)
		}
		ss, _, _ := dotRef(a, a)
		if got := sumSquares(a); math.Abs(got-ss) > 1e-12*ss {
			t.Errorf("sumSquares n=%d: got %v, want %v", n, got, ss)
		}
		// the portable kernels are held to the same bounds
		if got := dotGo(a, b); math.Abs(float64(got)-d) > sumBound(n, mag) {
			t.Errorf("dotGo n=%d: got %v, want %v", n, got, d)
		}
		if got := sqDistGo(a, b, 1); math.Abs(float64(got)-sq) > sumBound(n, sq) {
			t.Errorf("sqDistGo n=%d: got %v, want %v", n, got, sq)
		}
	}
}

// TestDotKernelsSpecial checks that Inf and NaN reach the result as they
// do in the portable kernels.
func TestDotKernelsSpecial(t *testing.T) {
	needSIMD(t)
	inf := float32(math.Inf(1))
	for _, n := range []int{1, 7, 8, 9, 33, 67} {
		for pos := 0; pos < n; pos += 3 {
			a, b := make([]float32, n), make([]float32, n)
			for i := range a {
				a[i], b[i] = 1, 2
			}
			a[pos] = inf
			if got := dot(a, b); !math.IsInf(float64(got), 1) {
				t.Errorf("dot n=%d Inf at %d: got %v", n, pos, got)
			}
			if got := sumSquares(a); !math.IsInf(got, 1) {
				t.Errorf("sumSquares n=%d Inf at %d: got %v", n, pos, got)
			}
			a[pos] = float32(math.NaN())
			if got := dot(a, b); !math.IsNaN(float64(got)) {
				t.Errorf("dot n=%d NaN at %d: got %v", n, pos, got)
			}
			if got := sqDist(a, b, 1); !math.IsNaN(float64(got)) {
				t.Errorf("sqDist n=%d NaN at %d: got %v", n, pos, got)
			}
		}
	}
}
