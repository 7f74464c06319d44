package cpu

import (
	"github.com/silica-go/silica/engine"
	"github.com/silica-go/silica/internal/cpufeat"
	"github.com/silica-go/silica/internal/vec"
)

// Assembly kernels (dot_amd64.s, convert_amd64.s; the others are declared
// beside their families: dotrow_amd64.go, gemm_amd64.go,
// elementwise_amd64.go; the scaling one is internal/vec's). They read and write exactly the lengths their
// comments give; the Go closures installed by useSIMD reslice first, so a
// short operand panics in Go instead of reading past its end.

//go:noescape
func sumSquaresAVX2(x []float32) float64

//go:noescape
func sumAVX2(x []float32) float64

//go:noescape
func f16ToF32F16C(dst []float32, src []byte)

//go:noescape
func bf16ToF32AVX2(dst []float32, src []byte)

//go:noescape
func i8ToF32AVX2(dst []float32, src []byte)

// useSIMD installs the assembly kernels the processor can run and
// reports whether it could.
func useSIMD() bool {
	if !cpufeat.AVX2FMA() {
		return false
	}
	useRowKernels(withTail(dotRowF32, engine.Float32, false), withTail(dotOnlyF32, engine.Float32, false),
		withTail(l2RowF32, engine.Float32, true))
	sumSquares = sumSquaresAVX2
	dotTile = dotTileAVX2
	gemmKernel, gemmMR, gemmNR = gemm6x16Checked, 6, 16
	sum = sumAVX2
	fma = func(d, a, b, c []float32) { fmaAVX2(d, a[:len(d)], b[:len(d)], c[:len(d)]) }
	scale = func(d, a []float32, s float32) { vec.ScaleAVX2(d, a[:len(d)], s) }
	affine = func(d, a []float32, s, t float32) { affineAVX2(d, a[:len(d)], s, t) }
	maxVec = func(x []float32) float32 { return max(maxAVX2(x), maxOf(x[len(x)&^7:])) }
	addVec = func(d, a, b []float32) { addAVX2(d, a[:len(d)], b[:len(d)]) }
	subVec = func(d, a, b []float32) { subAVX2(d, a[:len(d)], b[:len(d)]) }
	mulVec = func(d, a, b []float32) { mulAVX2(d, a[:len(d)], b[:len(d)]) }
	divVec = func(d, a, b []float32) { divAVX2(d, a[:len(d)], b[:len(d)]) }
	expVec, erfVec = unaryTail(expAVX2, 4, expGo), unaryTail(erfAVX2, 4, erfGo)
	prefetch = prefetchAVX2
	firstNotBelow = withTailScan(firstNotBelowAVX2, firstNotBelowGo)
	firstNotAbove = withTailScan(firstNotAboveAVX2, firstNotAboveGo)
	if useAVX512 && cpufeat.AVX512() {
		dotTile, scanQueryBlock, l2Tile = dotTileAVX512, 8, l2TileAVX512
		dotQueries = dotQueriesAVX512
		gemmKernel, gemmMR, gemmNR, packA12 = gemm12x32Checked, 12, 32, packA12Checked
		expVec, erfVec = unaryTail(expAVX512, 8, expVec), unaryTail(erfAVX512, 8, erfVec)
		avx512 = true
		switch {
		case useAMX && cpufeat.EnableAMX():
			amxDots, amxHits, splitRow, screenUnit = amxDotsChecked, amxHitsChecked, splitBF16Rows, "amx"
			amxReadsLo = true
		case useAMX && cpufeat.X86.AVX512BF16:
			amxDots, amxHits, splitRow, screenErr = dpbf16DotsChecked, amxHitsChecked, splitBF16Rows, dpErr
			screenUnit, amxReadsLo = "avx512bf16", false
		}
	}
	decodeBF16 = func(dst []float32, src []byte) { bf16ToF32AVX2(dst, src[:2*len(dst)]) }
	decodeI8 = func(dst []float32, src []byte) { i8ToF32AVX2(dst, src[:len(dst)]) }
	if cpufeat.X86.F16C {
		decodeF16 = func(dst []float32, src []byte) { f16ToF32F16C(dst, src[:2*len(dst)]) }
	}
	return true
}

// unaryTail returns d[i] = f(a[i]) through k, which does the elements up
// to a multiple of block, and rest, which does the others.
func unaryTail(k func(d, a []float32), block int, rest func(d, a []float32)) func(d, a []float32) {
	return func(d, a []float32) {
		a = a[:len(d)]
		k(d, a)
		n := len(d) / block * block
		rest(d[n:], a[n:])
	}
}

//go:noescape
func prefetchAVX2(b []byte)
