package cpu

import (
	"errors"
	"runtime"
	"testing"

	"github.com/silica-go/silica/internal/testenv"
)

// needSIMD skips (fails in CI) when this machine runs no SIMD kernels, so
// the comparison would pit the portable code against itself.
func needSIMD(t *testing.T) {
	t.Helper()
	var err error
	switch {
	case runtime.GOARCH == "amd64" && !simd:
		err = errors.New("processor without AVX2 and FMA (or SILICA_CPU_SIMD=off)")
	case runtime.GOARCH == "arm64" && !simd:
		err = errors.New("SILICA_CPU_SIMD=off")
	case runtime.GOARCH != "amd64" && runtime.GOARCH != "arm64":
		err = errors.New("no SIMD kernels for " + runtime.GOARCH)
	}
	testenv.Need(t, "simd", err)
}

// bothKernelSets runs f with the SIMD kernels (where the machine has
// them: "simd", and "simd512" again with the AVX-512 ones where it has
// those too) and with the portable ones.
func bothKernelSets(t *testing.T, f func(t *testing.T)) {
	t.Helper()
	defer func() { useAVX512 = true; setSIMD(true) }()
	useAVX512 = true
	if setSIMD(true) && avx512 {
		t.Run("simd512", f)
	}
	useAVX512 = false
	for _, on := range []bool{true, false} {
		name := "portable"
		if setSIMD(on) {
			name = "simd"
		} else if on {
			continue // no SIMD here: the portable run below covers it
		}
		t.Run(name, f)
	}
}

// testLengths are the vector lengths the SIMD kernels are checked at:
// every length through two full unrolled blocks and their tails, the
// scan's 768 and an odd 1023.
func testLengths() []int {
	var ls []int
	for n := range 68 {
		ls = append(ls, n)
	}
	return append(ls, 384, 768, 1023)
}
