package cpu

import (
	"math"
	"testing"

	"github.com/silica-go/silica/half"
)

// sameFloat reports whether a and b are the same value: equal bits, or
// both NaN (the hardware may quiet a signalling NaN).
func sameFloat(a, b float32) bool {
	return math.Float32bits(a) == math.Float32bits(b) || (a != a && b != b)
}

func isNaN16(h uint16) bool { return h&0x7c00 == 0x7c00 && h&0x3ff != 0 }

// checkDecoder checks one decoder against its portable definition on every
// 16-bit (or 8-bit) pattern, at every length and offset of testLengths.
func checkDecoder(t *testing.T, name string, elemBytes int, got, want func([]float32, []byte)) {
	t.Helper()
	n := 1 << (8 * elemBytes)
	src := make([]byte, n*elemBytes+16)
	for i := range n {
		if elemBytes == 2 {
			src[2*i], src[2*i+1] = byte(i), byte(i>>8)
		} else {
			src[i] = byte(i)
		}
	}
	ref := make([]float32, n)
	want(ref, src)
	out := make([]float32, n+8)
	check := func(off, cnt int) {
		for i := range out {
			out[i] = float32(math.NaN())
		}
		sentinel := float32(-12345)
		out[cnt] = sentinel
		got(out[:cnt], src[off*elemBytes:])
		for i := range cnt {
			if !sameFloat(out[i], ref[off+i]) {
				t.Fatalf("%s: element %d of %d at offset %d: got %v (%#x), want %v (%#x)", name, i, cnt,
					off, out[i], math.Float32bits(out[i]), ref[off+i], math.Float32bits(ref[off+i]))
			}
		}
		if out[cnt] != sentinel {
			t.Fatalf("%s: wrote past %d elements", name, cnt)
		}
	}
	check(0, n) // every pattern
	for _, cnt := range testLengths() {
		for _, off := range []int{0, 1, 3, 150, 1000} {
			if off+cnt <= n {
				check(off, cnt)
			}
		}
	}
	// unaligned source bytes: start at an odd address
	shifted := make([]byte, len(src)+1)
	copy(shifted[1:], src)
	for i := range out {
		out[i] = float32(math.NaN())
	}
	m := min(n, 777)
	got(out[:m], shifted[1:])
	for i := range m {
		if !sameFloat(out[i], ref[i]) {
			t.Fatalf("%s: unaligned source, element %d: got %v, want %v", name, i, out[i], ref[i])
		}
	}
}

func TestDecodeKernels(t *testing.T) {
	checkDecoder(t, "float16 portable", 2, decodeF16Go, half.DecodeFloat16)
	needSIMD(t)
	checkDecoder(t, "float16", 2, decodeF16, half.DecodeFloat16)
	checkDecoder(t, "bfloat16", 2, decodeBF16, half.DecodeBFloat16)
	checkDecoder(t, "int8", 1, decodeI8, decodeI8Go)
}
