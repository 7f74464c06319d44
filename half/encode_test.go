package half

import (
	"math"
	"math/rand/v2"
	"testing"
)

// encodeInputs are float32 values around every float16 rounding boundary
// (the midpoint between neighbouring halves and one float32 step either
// side), the subnormal and overflow ranges, specials and random patterns.
func encodeInputs() []float32 {
	var in []float32
	for h := range 0x7c00 { // positive finite halves
		lo := Float16(h).Float32()
		hi := float32(65520) // the rounding boundary to Inf
		if h < 0x7bff {
			hi = Float16(h + 1).Float32()
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
		in = append(in, float32(r.NormFloat64()*math.Pow(2, float64(r.IntN(40)-20))))
	}
	return in
}

// TestEncodeFloat16 checks EncodeFloat16's loops (F16C's where the
// processor has it, and the portable one) against FromFloat32 bit for bit,
// at every length up to 67 and more, from an odd destination address,
// writing nothing outside the destination.
func TestEncodeFloat16(t *testing.T) {
	in := encodeInputs()
	want := make([]uint16, len(in))
	for i, f := range in {
		want[i] = uint16(FromFloat32(f))
	}
	isNaN16 := func(h uint16) bool { return h&0x7c00 == 0x7c00 && h&0x3ff != 0 }
	for _, c := range []struct {
		name string
		f    func([]byte, []float32)
	}{{"EncodeFloat16", EncodeFloat16}, {"portable", encode16Go}} {
		got := make([]byte, 2*len(in)+2)
		for i := range got {
			got[i] = 0xff
		}
		c.f(got[:2*len(in)], in)
		for i := range in {
			g := uint16(got[2*i]) | uint16(got[2*i+1])<<8
			if g != want[i] && !(isNaN16(g) && isNaN16(want[i])) {
				t.Fatalf("%s %v (%#x): got %#04x, want %#04x", c.name, in[i], math.Float32bits(in[i]), g, want[i])
			}
		}
		if got[2*len(in)] != 0xff || got[2*len(in)+1] != 0xff {
			t.Fatalf("%s wrote past its end", c.name)
		}
		for n := range 1030 {
			if n > 67 && n != 384 && n != 768 && n != 1023 {
				continue
			}
			dst := make([]byte, 2*n+3)
			for i := range dst {
				dst[i] = 0xff
			}
			c.f(dst[1:1+2*n], in[5:5+n])
			for i := range n {
				if g := uint16(dst[1+2*i]) | uint16(dst[2+2*i])<<8; g != want[5+i] {
					t.Fatalf("%s n=%d element %d: got %#04x, want %#04x", c.name, n, i, g, want[5+i])
				}
			}
			if dst[1+2*n] != 0xff || dst[0] != 0xff {
				t.Fatalf("%s n=%d wrote outside its destination", c.name, n)
			}
		}
	}
}
