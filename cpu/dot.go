package cpu

// Vector kernels: the inner loops of the scan, matmul, normalize and
// reduce. Each has a portable Go version here; the architecture files
// (dot_amd64.go) replace the package variables below with SIMD versions
// when the processor has them. Every kernel computes the same value up to
// the order of its float additions.

// dotQueriesGo is dotQueries through dot, a query at a time.
func dotQueriesGo(x, q []float32, d int, qs []int32, out []float32) {
	for k, i := range qs {
		out[k] = dot(q[int(i)*d:(int(i)+1)*d], x)
	}
}

// dotGo is the portable dot product: eight independent accumulators so
// that the loop is not bound by the latency of one add chain.
func dotGo(a, b []float32) float32 {
	b = b[:len(a)]
	var s0, s1, s2, s3, s4, s5, s6, s7 float32
	i := 0
	for ; i+8 <= len(a); i += 8 {
		s0 += a[i] * b[i]
		s1 += a[i+1] * b[i+1]
		s2 += a[i+2] * b[i+2]
		s3 += a[i+3] * b[i+3]
		s4 += a[i+4] * b[i+4]
		s5 += a[i+5] * b[i+5]
		s6 += a[i+6] * b[i+6]
		s7 += a[i+7] * b[i+7]
	}
	for ; i < len(a); i++ {
		s0 += a[i] * b[i]
	}
	return ((s0 + s1) + (s2 + s3)) + ((s4 + s5) + (s6 + s7))
}

// sqDistGo is the portable squared Euclidean distance between a and
// s·b: sum((a - s·b)²).
func sqDistGo(a, b []float32, s float32) float32 {
	b = b[:len(a)]
	var s0, s1, s2, s3 float32
	i := 0
	for ; i+4 <= len(a); i += 4 {
		d0, d1, d2, d3 := a[i]-s*b[i], a[i+1]-s*b[i+1], a[i+2]-s*b[i+2], a[i+3]-s*b[i+3]
		s0 += d0 * d0
		s1 += d1 * d1
		s2 += d2 * d2
		s3 += d3 * d3
	}
	for ; i < len(a); i++ {
		d := a[i] - s*b[i]
		s0 += d * d
	}
	return (s0 + s1) + (s2 + s3)
}

// sumSquaresGo is the portable sum of squares, accumulated in float64
// (where the square of a float32 is exact).
func sumSquaresGo(x []float32) float64 {
	var s0, s1, s2, s3 float64
	i := 0
	for ; i+4 <= len(x); i += 4 {
		v0, v1, v2, v3 := float64(x[i]), float64(x[i+1]), float64(x[i+2]), float64(x[i+3])
		s0 += v0 * v0
		s1 += v1 * v1
		s2 += v2 * v2
		s3 += v3 * v3
	}
	for ; i < len(x); i++ {
		v := float64(x[i])
		s0 += v * v
	}
	return (s0 + s1) + (s2 + s3)
}

// sumGo is the portable sum, accumulated in float64.
func sumGo(x []float32) float64 {
	var s0, s1, s2, s3 float64
	i := 0
	for ; i+4 <= len(x); i += 4 {
		s0 += float64(x[i])
		s1 += float64(x[i+1])
		s2 += float64(x[i+2])
		s3 += float64(x[i+3])
	}
	for ; i < len(x); i++ {
		s0 += float64(x[i])
	}
	return (s0 + s1) + (s2 + s3)
}

// sumSquares32Go is the portable sum of squares in float32, eight
// partial sums (dotGo of x with itself): the scan's row norms, where the
// float64 sum's conversions would cost more than reading the row.
func sumSquares32Go(x []float32) float32 { return dotGo(x, x) }

// The vector kernels in use: the portable ones, or assembly where the
// machine has it. dot and sqDist read len(a) elements of each operand
// (b may be longer). Within one set, dot equals the dot product of the
// direct row kernels and sumSquares32 their sum of squares, bit for bit,
// so that a scan scores a row the same whatever path it takes.
var (
	dot          = dotGo
	dotQueries   = dotQueriesGo // out[t] = dot(query qs[t] of q, x), queries of d elements
	sqDist       = sqDistGo
	sumSquares   = sumSquaresGo
	sumSquares32 = sumSquares32Go
	sum          = sumGo
	fma          = fmaGo
	scale        = scaleGo
	affine       = affineGo // d[i] = a[i]*s + t
	maxVec       = maxOf    // the largest element, -Inf for none; unspecified with a NaN
	expVec       = expGo    // d[i] = expF32(a[i])
	erfVec       = erfGo    // d[i] = erfF32(a[i])
	addVec       = addGo    // d[i] = a[i] + b[i], and so on
	subVec       = subGo
	mulVec       = mulGo
	divVec       = divGo
	prefetch     = prefetchNone // asks for a slice in the cache ahead of use
)

// simd reports whether the SIMD kernels are installed.
var simd bool

// useAVX512 lets useSIMD install the AVX-512 kernels where the processor
// has them (tests turn it off to check the AVX2 ones on the same machine);
// avx512 reports whether it did.
var useAVX512, avx512 = true, false

// useAMX lets useSIMD install the screened scan's tile kernels (amx.go)
// where the processor has them and Linux grants their state.
var useAMX = true

func init() { setSIMD(true) }

// setSIMD installs the SIMD kernels of this architecture when on and the
// processor has them (useSIMD, in the architecture files), else the
// portable ones, and reports which. Tests use it to check both.
func setSIMD(on bool) bool {
	dot, sqDist, sumSquares, sumSquares32 = dotGo, sqDistGo, sumSquaresGo, sumSquares32Go
	dotQueries = dotQueriesGo
	gemmKernel, gemmMR, gemmNR, packA12 = gemm1x1Go, 1, 1, nil
	dotTile, scanQueryBlock, l2Tile = dotTileGo, 4, nil
	amxDots, amxHits, splitRow, screenErr, screenUnit, amxReadsLo = nil, nil, splitBF16Go, amxErr, "", true
	avx512 = false
	firstNotBelow, firstNotAbove = firstNotBelowGo, firstNotAboveGo
	sum, fma, scale, prefetch = sumGo, fmaGo, scaleGo, prefetchNone
	affine, maxVec = affineGo, maxOf
	decodeF16, decodeBF16, decodeI8 = decodeF16Go, decodeBF16Go, decodeI8Go
	expVec, erfVec = expGo, erfGo
	addVec, subVec, mulVec, divVec = addGo, subGo, mulGo, divGo
	simd = on && useSIMD()
	return simd
}
