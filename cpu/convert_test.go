package cpu

import (
	"math"
	"math/rand/v2"
	"testing"
	"unsafe"

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

// encodeInputs are float32 values around every float16 rounding boundary
// (the midpoint between neighbouring halves and one float32 step either
// side), the subnormal and overflow ranges, specials and random patterns.
func encodeInputs() []float32 {
	var in []float32
	for h := range 0x7c00 { // positive finite halves
		lo := half.Float16(h).Float32()
		hi := float32(65520) // the rounding boundary to Inf
		if h < 0x7bff {
			hi = half.Float16(h + 1).Float32()
		}
		mid := math.Float32bits(lo + (hi-lo)/2)
		for _, b := range []uint32{mid - 1, mid, mid + 1, math.Float32bits(lo)} {
			f := math.Float32frombits(b)
			in = append(in, f, -f)
		}
	}
	inf := float32(math.Inf(1))
	in = append(in, 0, float32(math.Copysign(0, -1)), inf, -inf, float32(math.NaN()),
		math.Float32frombits(0x7f800001), math.Float32frombits(0xffc12345), 1e-40, 1e30, -1e30, 65519.99)
	r := rand.New(rand.NewPCG(3, 3))
	for range 100000 {
		in = append(in, math.Float32frombits(r.Uint32()))
	}
	return in
}

func TestEncodeFloat16Kernel(t *testing.T) {
	needSIMD(t)
	in := encodeInputs()
	want := make([]byte, 2*len(in))
	half.EncodeFloat16(want, in)
	got := make([]byte, 2*len(in)+2)
	for i := range got {
		got[i] = 0xff
	}
	encodeF16(got[:2*len(in)], in)
	w16 := unsafe.Slice((*uint16)(unsafe.Pointer(&want[0])), len(in))
	g16 := unsafe.Slice((*uint16)(unsafe.Pointer(&got[0])), len(in)+1)
	for i := range in {
		if g16[i] != w16[i] && !(isNaN16(g16[i]) && isNaN16(w16[i])) {
			t.Fatalf("encode %v (%#x): got %#04x, want %#04x", in[i], math.Float32bits(in[i]), g16[i], w16[i])
		}
	}
	if g16[len(in)] != 0xffff {
		t.Fatal("encode wrote past its end")
	}
	// every length and an odd destination address
	for _, n := range testLengths() {
		dst := make([]byte, 2*n+3)
		for i := range dst {
			dst[i] = 0xff
		}
		encodeF16(dst[1:1+2*n], in[5:5+n])
		for i := range n {
			g := uint16(dst[1+2*i]) | uint16(dst[2+2*i])<<8
			if g != w16[5+i] {
				t.Fatalf("encode n=%d element %d: got %#04x, want %#04x", n, i, g, w16[5+i])
			}
		}
		if dst[1+2*n] != 0xff || dst[0] != 0xff {
			t.Fatalf("encode n=%d wrote outside its destination", n)
		}
	}
}
