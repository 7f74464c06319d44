package cpufeat

// cpuid executes CPUID with EAX = leaf and ECX = sub.
func cpuid(leaf, sub uint32) (eax, ebx, ecx, edx uint32)

// xgetbv0 executes XGETBV with ECX = 0 (the XCR0 register).
func xgetbv0() (eax, edx uint32)

// Bits of CPUID leaf 1 ECX, leaf 7 EBX and XCR0 (Intel SDM vol. 2A,
// "CPUID"; vol. 1, 13.3 "Enabling the XSAVE feature set").
const (
	ecx1FMA     = 1 << 12
	ecx1OSXSAVE = 1 << 27
	ecx1AVX     = 1 << 28
	ecx1F16C    = 1 << 29
	ebx7AVX2    = 1 << 5
	ebx7AVX512F = 1 << 16
	xcr0SSE     = 1 << 1
	xcr0AVX     = 1 << 2
	xcr0ZMM     = 1<<5 | 1<<6 | 1<<7 // opmask, ZMM0-15 upper halves, ZMM16-31
	eax71BF16   = 1 << 5             // leaf 7, subleaf 1: AVX512_BF16
	edx7AMXBF16 = 1 << 22
	edx7AMXTile = 1 << 24
	xcr0Tile    = 1<<17 | 1<<18 // XTILECFG, XTILEDATA
)

func detect() {
	maxLeaf, _, _, _ := cpuid(0, 0)
	if maxLeaf < 1 {
		return
	}
	_, _, ecx1, _ := cpuid(1, 0)
	osYMM, osZMM, osTile := false, false, false
	if ecx1&ecx1OSXSAVE != 0 {
		xcr0, _ := xgetbv0()
		osYMM = xcr0&(xcr0SSE|xcr0AVX) == xcr0SSE|xcr0AVX
		osZMM = osYMM && xcr0&xcr0ZMM == xcr0ZMM
		osTile = xcr0&xcr0Tile == xcr0Tile
	}
	X86.AVX = osYMM && ecx1&ecx1AVX != 0
	X86.FMA = X86.AVX && ecx1&ecx1FMA != 0
	X86.F16C = X86.AVX && ecx1&ecx1F16C != 0
	if maxLeaf >= 7 {
		eax7, ebx7, _, edx7 := cpuid(7, 0) // eax7: the last subleaf
		X86.AVX2 = X86.AVX && ebx7&ebx7AVX2 != 0
		X86.AVX512F = osZMM && ebx7&ebx7AVX512F != 0
		X86.AMXBF16 = X86.AVX512F && osTile && edx7&(edx7AMXBF16|edx7AMXTile) == edx7AMXBF16|edx7AMXTile
		if eax7 >= 1 {
			eax71, _, _, _ := cpuid(7, 1)
			X86.AVX512BF16 = X86.AVX512F && eax71&eax71BF16 != 0
		}
	}
}
