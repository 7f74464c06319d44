package store

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/silica-go/silica/half"
)

// TestEncodeFloat16 compares the store's float16 encoder with
// half.FromFloat32 bit for bit on random values of every magnitude and
// the edges of each range (ties, the largest finite, subnormals, zeros,
// Inf, NaN).
func TestEncodeFloat16(t *testing.T) {
	r := rand.New(rand.NewPCG(16, 16))
	var src []float32
	for range 200000 {
		src = append(src, math.Float32frombits(r.Uint32()))
		src = append(src, float32(r.NormFloat64()*math.Pow(2, float64(r.IntN(40)-20))))
	}
	for _, f := range []float32{0, 65504, 65519, 65520, 65536, 6.1035156e-05, 6.097555e-05, 5.9604645e-08, 1, 1.0004883, 1.0009766, 2049, 2051} {
		src = append(src, f, -f, math.Nextafter32(f, 0), math.Nextafter32(f, 1e9))
	}
	src = append(src, float32(math.Inf(1)), float32(math.Inf(-1)), float32(math.NaN()))
	dst := make([]byte, 2*len(src))
	encodeFloat16(dst, src)
	for i, f := range src {
		got := uint16(dst[2*i]) | uint16(dst[2*i+1])<<8
		if want := uint16(half.FromFloat32(f)); got != want {
			t.Fatalf("%g (%#08x): %#04x, half.FromFloat32 gives %#04x", f, math.Float32bits(f), got, want)
		}
	}
}
