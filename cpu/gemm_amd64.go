package cpu

// gemm6x16 is the AVX2/FMA micro-kernel (gemm_amd64.s), a microKernel
// with mr = 6, nr = 16.
//
//go:noescape
func gemm6x16(kc int, a, b, c []float32, ldc int, acc bool)

// gemm6x16Checked checks the operands' lengths before the assembly
// touches them.
func gemm6x16Checked(kc int, a, b, c []float32, ldc int, acc bool) {
	_, _, _ = a[:6*kc], b[:16*kc], c[:5*ldc+16]
	gemm6x16(kc, a, b, c, ldc, acc)
}

// gemm12x32 is the AVX-512 micro-kernel (gemm512_amd64.s), a microKernel
// with mr = 12, nr = 32.
//
//go:noescape
func gemm12x32(kc int, a, b, c []float32, ldc int, acc bool)

// gemm12x32Checked checks the operands' lengths before the assembly
// touches them.
func gemm12x32Checked(kc int, a, b, c []float32, ldc int, acc bool) {
	_, _, _ = a[:12*kc], b[:32*kc], c[:11*ldc+32]
	gemm12x32(kc, a, b, c, ldc, acc)
}

// packA12AVX2 packs the first kc&^7 columns of twelve rows of a (row
// stride lda) into a 12-row sliver (gemm512_amd64.s).
//
//go:noescape
func packA12AVX2(dst, a []float32, lda, kc int)

// packA12Checked is packA12AVX2 with the operands' lengths checked,
// packing the last kc%8 columns itself.
func packA12Checked(dst, a []float32, lda, kc int) {
	_, _ = dst[:12*kc], a[:11*lda+kc]
	packA12AVX2(dst, a, lda, kc)
	for p := kc &^ 7; p < kc; p++ {
		for r := range 12 {
			dst[p*12+r] = a[r*lda+p]
		}
	}
}
