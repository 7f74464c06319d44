package cpu

import "unsafe"

//go:noescape
func amxDotsAsm(cfg *byte, ah, al unsafe.Pointer, ars int, bh, bl unsafe.Pointer, bstride, ksteps, nqb int, c unsafe.Pointer, acc int)

//go:noescape
func amxHitsAsm(c, f, bias, gr, l, eq unsafe.Pointer, nqb int, masks unsafe.Pointer) int

//go:noescape
func splitBF16AVX512(hi, lo *uint16, x *float32, n int) float32

// splitBF16Rows is splitBF16Go: AVX-512 on whole vectors of 16, Go on the
// rest.
func splitBF16Rows(hi, lo []uint16, x []float32) float32 {
	hi, lo = hi[:len(x)], lo[:len(x)]
	var ss float32
	if n := len(x) &^ 15; n > 0 {
		ss = splitBF16AVX512(&hi[0], &lo[0], &x[0], n)
	}
	return ss + splitBF16Go(hi[len(x)&^15:], lo[len(x)&^15:], x[len(x)&^15:])
}

// amxDotsChecked is amxDotsAsm behind bounds checks of everything it reads
// and writes, a chunk of amxStepChunk steps at a time: the 32 rows' parts
// of a chunk (24 KiB) stay in the L1 cache while the query blocks go by,
// which halves what the tiles load from the L2 cache.
func amxDotsChecked(cfg *[64]byte, ah, al []uint16, ars int, bh, bl []uint16, ksteps, nqb int, c []float32) {
	if !dotsFit(ah, ars, bh, ksteps, nqb, c) || !dotsFit(al, ars, bl, ksteps, nqb, c) {
		panic("cpu: amxDots: operands too short")
	}
	for k0 := 0; k0 < ksteps; k0 += amxStepChunk {
		kn := min(amxStepChunk, ksteps-k0)
		acc := 0
		if k0 > 0 {
			acc = 1
		}
		amxDotsAsm(&cfg[0], unsafe.Pointer(&ah[k0*32]), unsafe.Pointer(&al[k0*32]), ars,
			unsafe.Pointer(&bh[k0*512]), unsafe.Pointer(&bl[k0*512]), ksteps*1024, kn, nqb, unsafe.Pointer(&c[0]), acc)
	}
}

// dotsFit reports whether amxDots's operands hold what it reads and
// writes for ksteps steps over nqb query blocks: 32 rows of a at row
// stride ars bytes, the query tiles b and the sums c.
func dotsFit(a []uint16, ars int, b []uint16, ksteps, nqb int, c []float32) bool {
	return nqb >= 1 && ksteps >= 1 && ars%64 == 0 && ars/2 >= ksteps*32 &&
		len(a) >= (amxRows-1)*ars/2+ksteps*32 && len(b) >= nqb*ksteps*512 && len(c) >= nqb*amxRows*amxQueries
}

// amxStepChunk is the steps of 32 elements amxDotsChecked takes at a time.
const amxStepChunk = 6

// amxHitsChecked is amxHitsAsm behind bounds checks.
func amxHitsChecked(c, f, bias, g, l, eq []float32, nqb int, masks []uint16) int {
	if nqb < 1 || len(c) < nqb*amxRows*amxQueries || len(f) < amxRows || len(bias) < amxRows || len(g) < amxRows ||
		len(l) < nqb*amxQueries || len(eq) < nqb*amxQueries || len(masks) < nqb*amxRows {
		panic("cpu: amxHits: operands too short")
	}
	return amxHitsAsm(unsafe.Pointer(&c[0]), unsafe.Pointer(&f[0]), unsafe.Pointer(&bias[0]), unsafe.Pointer(&g[0]),
		unsafe.Pointer(&l[0]), unsafe.Pointer(&eq[0]), nqb, unsafe.Pointer(&masks[0]))
}
