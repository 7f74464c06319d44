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
	useRowKernels(rowDot, rowDot, withTail16(l2RowF32NEON, engine.Float32, true))
	gemmKernel = func(kc int, a, b, c []float32, ldc int, acc bool) {
		_, _, _ = a[:8*kc], b[:8*kc], c[:7*ldc+8]
		gemm8x8(kc, a, b, c, ldc, acc)
	}
	gemmMR, gemmNR = 8, 8
	return true
}
