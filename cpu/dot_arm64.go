package cpu

import (
	"github.com/silica-go/silica/engine"
	"github.com/silica-go/silica/internal/cpufeat"
)

// gemm8x8 is the NEON micro-kernel (gemm_arm64.s), a microKernel with
// mr = nr = 8.
//
//go:noescape
func gemm8x8(kc int, a, b, c []float32, ldc int, acc bool)

// useSIMD installs the NEON kernels: the float32 dot product, distance
// and sum of squares from the row kernels, and the gemm micro-kernel. The
// conversions and float64 sums stay portable on arm64.
func useSIMD() bool {
	if !cpufeat.ARM64.ASIMD {
		return false
	}
	rowDot := withTail16(dotRowF32NEON, engine.Float32, false)
	rowL2 := withTail16(l2RowF32NEON, engine.Float32, true)
	dot = func(a, b []float32) float32 {
		r, _ := rowDot(a, f32Bytes(b[:len(a)]), 1)
		return r
	}
	sqDist = func(a, b []float32, s float32) float32 {
		r, _ := rowL2(a, f32Bytes(b[:len(a)]), s)
		return r
	}
	sumSquares32 = func(x []float32) float32 {
		_, ss := rowDot(x, f32Bytes(x), 1)
		return ss
	}
	gemmKernel = func(kc int, a, b, c []float32, ldc int, acc bool) {
		_, _, _ = a[:8*kc], b[:8*kc], c[:7*ldc+8]
		gemm8x8(kc, a, b, c, ldc, acc)
	}
	gemmMR, gemmNR = 8, 8
	return true
}
