package cpu

import (
	"testing"

	"github.com/silica-go/silica/internal/testenv"
)

// BenchmarkErfKernels runs the AVX2 and AVX-512 erf in turn, in one
// process, on 1536 lanes (a row of MiniLM's GELU, as the matmul epilogue
// runs it, in L1).
func BenchmarkErfKernels(b *testing.B) {
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
	}{{"avx2", erfAVX2}, {"avx512", erfAVX512}} {
		b.Run(k.name, func(b *testing.B) {
			b.SetBytes(4 * int64(len(a)))
			for range b.N {
				k.f(d, a)
			}
		})
	}
}
