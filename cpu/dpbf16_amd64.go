package cpu

import "unsafe"

//go:noescape
func dpbf16DotsAsm(ah unsafe.Pointer, ars int, bh unsafe.Pointer, bstride, ksteps, nqb int, c unsafe.Pointer)

// dpbf16DotsChecked is dpbf16DotsAsm behind bounds checks of everything
// it reads and writes, in amxDots's form (the low parts and the tile
// configuration unused: see dpbf16DotsGo).
func dpbf16DotsChecked(_ *[64]byte, ah, _ []uint16, ars int, bh, _ []uint16, ksteps, nqb int, c []float32) {
	if !dotsFit(ah, ars, bh, ksteps, nqb, c) {
		panic("cpu: dpbf16Dots: operands too short")
	}
	dpbf16DotsAsm(unsafe.Pointer(&ah[0]), ars, unsafe.Pointer(&bh[0]), ksteps*1024, ksteps, nqb, unsafe.Pointer(&c[0]))
}
