package cpufeat

import "os"

// X86 holds the amd64 features the kernels use. All are false on other
// architectures and when SIMD is turned off (see the package doc).
var X86 struct {
	AVX  bool // 256-bit float vectors, with OS support for the YMM state
	AVX2 bool // 256-bit integer vectors, permutes, broadcasts
	FMA  bool // fused multiply-add (FMA3)
	F16C bool // float16 <-> float32 conversion (VCVTPH2PS, VCVTPS2PH)
	// AVX512F: 512-bit float vectors, 32 vector and 8 mask registers,
	// with OS support for the opmask and ZMM state.
	AVX512F bool
	// AMXBF16: the tile registers and their bfloat16 dot products
	// (TDPBF16PS), with OS support for the tile state (XCR0 bits 17 and
	// 18). A program must still ask Linux for the tile data state before
	// its first tile instruction: see EnableAMX.
	AMXBF16 bool
	// AVX512BF16: the bfloat16 dot products of 512-bit vectors
	// (VDPBF16PS), with AVX512F.
	AVX512BF16 bool
}

// ARM64 holds the arm64 features the kernels use.
var ARM64 struct {
	ASIMD bool // Advanced SIMD (NEON), present on every arm64 machine
}

// Disabled reports whether SILICA_CPU_SIMD=off turned detection off.
var Disabled = os.Getenv("SILICA_CPU_SIMD") == "off"

// AVX2FMA reports whether the AVX2 and FMA kernels can run: the common
// level of every x86 machine since 2013 (Haswell, Zen).
func AVX2FMA() bool { return X86.AVX && X86.AVX2 && X86.FMA }

// AVX512 reports whether the AVX-512 Foundation kernels can run (besides
// the AVX2 and FMA ones): Skylake-SP and later Intel server parts, Zen 4
// and later.
func AVX512() bool { return AVX2FMA() && X86.AVX512F }

func init() {
	if Disabled {
		return
	}
	detect()
}
