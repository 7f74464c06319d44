package cpu

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/silica-go/silica/internal/testenv"
)

// TestPackA12 checks the AVX2 packer of 12-row slivers against its
// definition, dst[p*12 + r] = a[r*lda + p], for every depth up to 40 and
// the panel's, with the destination poisoned and guarded.
func TestPackA12(t *testing.T) {
	needSIMD(t)
	r := rand.New(rand.NewPCG(13, 13))
	for _, kc := range append([]int{256, 255}, func() []int {
		var ks []int
		for k := range 41 {
			ks = append(ks, k)
		}
		return ks
	}()...) {
		for _, lda := range []int{kc, kc + 3, 1024} {
			a := make([]float32, 11*lda+kc)
			normals(r, a)
			dst := make([]float32, 12*kc+1)
			for i := range dst {
				dst[i] = float32(math.NaN())
			}
			packA12Checked(dst[:12*kc], a, lda, kc)
			for p := range kc {
				for row := range 12 {
					if got, want := dst[p*12+row], a[row*lda+p]; got != want {
						t.Fatalf("kc %d lda %d: (%d, %d) = %v, want %v", kc, lda, row, p, got, want)
					}
				}
			}
			if dst[12*kc] == dst[12*kc] {
				t.Fatalf("kc %d lda %d: wrote past the sliver", kc, lda)
			}
		}
	}
}

// BenchmarkGemmKernels runs the blocked product with the AVX-512 and the
// AVX2 micro-kernels in turn, in one process: 1024³ and the products of
// MiniLM's layers on a batch of 512 tokens (x·Wᵀ).
func BenchmarkGemmKernels(b *testing.B) {
	if !avx512 {
		testenv.SkipBecause(b, "no AVX-512 on this machine")
	}
	c := newBackend()
	type kern struct {
		name   string
		k      microKernel
		mr, nr int
	}
	kerns := []kern{{"12x32", gemm12x32Checked, 12, 32}, {"avx2_6x16", gemm6x16Checked, 6, 16}}
	defer func(k microKernel, mr, nr int) { gemmKernel, gemmMR, gemmNR = k, mr, nr }(gemmKernel, gemmMR, gemmNR)
	for _, s := range [][4]int{{1024, 1024, 1024, 0}, {512, 384, 384, 1}, {512, 1536, 384, 1}, {512, 384, 1536, 1}} {
		m, n, k, trans := s[0], s[1], s[2], s[3] == 1
		a, w, out := randomFloats(5, m*k), randomFloats(6, n*k), make([]float32, m*n)
		am, wm := matrix{data: a, rs: k, cs: 1}, matrix{data: w, rs: n, cs: 1}
		if trans {
			wm = matrix{data: w, rs: 1, cs: k}
		}
		b.Run(fmt.Sprintf("m=%d/n=%d/k=%d", m, n, k), func(b *testing.B) {
			flops := float64(2 * m * n * k)
			var vs []variant
			for _, kn := range kerns {
				vs = append(vs, variant{kn.name, flops, func() {
					gemmKernel, gemmMR, gemmNR = kn.k, kn.mr, kn.nr
					c.gemmPacked(m, n, k, am, wm, nil, out, nil)
				}})
			}
			compare(b, "GFLOP/s", vs...)
		})
	}
}
