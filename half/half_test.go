package half

import (
	"math"
	"math/big"
	"math/rand/v2"
	"testing"
)

// roundRef rounds f to a float16 by exhaustive search over the 63488 finite
// halves: the nearest one, ties to the even bit pattern. It is slow and
// obviously right, which is what a reference should be.
func roundRef(f float32, table []float64) Float16 {
	x := float64(f)
	if math.IsInf(x, 0) || math.Abs(x) >= 65520 { // 65520 = max + half ulp rounds up to Inf
		if x > 0 {
			return 0x7c00
		}
		return 0xfc00
	}
	best := -1
	bestD := math.Inf(1)
	for i, v := range table {
		d := math.Abs(v - x)
		if d < bestD || (d == bestD && i%2 == 0) {
			best, bestD = i, d
		}
	}
	h := Float16(best)
	if math.Signbit(x) && h == 0 {
		return 0x8000
	}
	return h
}

func TestFloat16RoundTripAllPatterns(t *testing.T) {
	for i := 0; i < 1<<16; i++ {
		h := Float16(i)
		f := h.Float32()
		if math.IsNaN(float64(f)) {
			if !math.IsNaN(float64(FromFloat32(f).Float32())) {
				t.Fatalf("NaN pattern %#x lost its NaN-ness", i)
			}
			continue
		}
		if got := FromFloat32(f); got != h {
			t.Fatalf("pattern %#x -> %g -> %#x", i, f, got)
		}
	}
}

func TestFloat16RoundingAgainstSearch(t *testing.T) {
	// table of the non-negative finite halves by bit pattern
	table := make([]float64, 0x7c00)
	for i := range table {
		table[i] = float64(Float16(i).Float32())
	}
	r := rand.New(rand.NewPCG(1, 2))
	check := func(f float32) {
		want := roundRef(float32(math.Abs(float64(f))), table)
		if f < 0 {
			want |= 0x8000
		}
		if got := FromFloat32(f); got != want {
			t.Fatalf("FromFloat32(%g) = %#x (%g), want %#x (%g)", f, got, got.Float32(), want, want.Float32())
		}
	}
	for i := 0; i < 3000; i++ {
		// spread over the whole half range, subnormals included
		e := r.Float64()*36 - 26
		f := float32(math.Pow(2, e) * (1 + r.Float64()))
		if r.IntN(2) == 0 {
			f = -f
		}
		check(f)
	}
	// exact ties between neighbours, both parities
	for i := 1; i < 0x7bff; i += 97 {
		mid := (big.NewFloat(table[i]).Add(big.NewFloat(table[i]), big.NewFloat(table[i+1])))
		m, _ := mid.Float64()
		check(float32(m / 2))
	}
	check(65519)
	check(65520)
	check(1e-8)
}

func TestBFloat16(t *testing.T) {
	cases := []struct {
		in   float32
		want float32
	}{
		{1, 1},
		{1 + 1.0/256, 1},                // tie, rounds to even (down)
		{1 + 3.0/256, 1 + 4.0/256},      // tie, rounds to even (up)
		{1 + 1.0/256 + 1e-6, 1.0078125}, // above the tie
		{float32(math.Inf(-1)), float32(math.Inf(-1))},
	}
	for _, c := range cases {
		if got := RoundB16(c.in); got != c.want {
			t.Errorf("RoundB16(%g) = %g, want %g", c.in, got, c.want)
		}
	}
	if !math.IsNaN(float64(RoundB16(float32(math.NaN())))) {
		t.Error("NaN did not stay NaN")
	}
}

func TestEncodeDecode(t *testing.T) {
	src := []float32{1.5, -2.25, 65504, 6.1035156e-05}
	buf := make([]byte, 2*len(src))
	EncodeFloat16(buf, src)
	dst := make([]float32, len(src))
	DecodeFloat16(dst, buf)
	for i := range src {
		if dst[i] != src[i] {
			t.Errorf("float16 %d: %g != %g", i, dst[i], src[i])
		}
	}
	EncodeBFloat16(buf, src[:2])
	DecodeBFloat16(dst[:2], buf)
	if dst[0] != 1.5 || dst[1] != -2.25 {
		t.Errorf("bfloat16 round trip: %v", dst[:2])
	}
}

func TestEmpty(t *testing.T) {
	EncodeFloat16(nil, nil)
	DecodeFloat16(nil, nil)
	EncodeBFloat16(nil, nil)
	DecodeBFloat16(nil, nil)
}
