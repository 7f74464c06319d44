package cpu

import (
	"testing"

	"github.com/silica-go/silica/internal/testenv"
)

// BenchmarkExpErfKernels runs the AVX2 and AVX-512 exp and erf in turn,
// in one process, on 1536 lanes in L1 (a row of MiniLM's GELU, as the
// matmul epilogue runs it; a few rows of attention's scores).
func BenchmarkExpErfKernels(b *testing.B) {
	if !avx512 {
		testenv.SkipBecause(b, "no AVX-512 on this machine")
	}
	a, d := randomFloats(7, 1536), make([]float32, 1536)
	for i := range a {
		a[i] *= 3
	}
	for _, k := range []struct {
		name string
		f    func(d, a []float32)
	}{{"exp/avx2", expAVX2}, {"exp/avx512", expAVX512}, {"erf/avx2", erfAVX2}, {"erf/avx512", erfAVX512}} {
		b.Run(k.name, func(b *testing.B) {
			b.SetBytes(4 * int64(len(a)))
			for range b.N {
				k.f(d, a)
			}
		})
	}
}
