package backendtest

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/silica-go/silica/engine"
)

// testAttention checks Attention against attentionRef (float64, on the
// inputs rounded to each dtype) within TolFloat32 (the result is float32
// whatever the inputs): sequences of 1 row and of more rows than any
// tile, heads of 1, 33, 48, 64 and MaxHeadDim columns, a scale that makes
// scores of several hundred (a softmax without its maximum subtracted
// overflows), and the builder's errors.
func testAttention(t *testing.T, s *suite) {
	cases := []struct {
		h, heads int
		lengths  []int
		std      float64
		scale    float32
	}{
		{8, 1, []int{1}, 1, 0.35},
		{64, 4, []int{1, 5, 31}, 1, 0.25},
		{99, 3, []int{2, 17, 1, 9}, 1, 0.17},
		{384, 6, []int{256, 3, 41}, 1, 0.125},
		{96, 2, []int{130, 7}, 1, 0.144},
		{2 * engine.MaxHeadDim, 2, []int{7, 20}, 0.5, 0.0625},
		{32, 2, []int{12, 40}, 6, 2.5},
	}
	for _, dt := range floatTypes {
		for _, c := range cases {
			sh := engine.Shape{rowsOf(c.lengths), c.h}
			gen := func(r *rand.Rand) float64 { return c.std * r.NormFloat64() }
			q, qv := s.random(t, dt, sh, gen)
			k, kv := s.random(t, dt, sh, gen)
			v, vv := s.random(t, dt, sh, normal)
			want := AttentionRef(qv.v, kv.v, vv.v, c.h, c.heads, float64(c.scale), c.lengths)
			got := s.ok(engine.Attention(q, k, v, c.heads, c.scale, c.lengths))
			expect(t, name("attention ", dt, sh, " heads ", c.heads, " lengths ", c.lengths), got, sh, want, TolFloat32)
		}
	}
	x, _ := s.random(t, engine.Float32, engine.Shape{6, 8}, normal)
	x7, _ := s.random(t, engine.Float32, engine.Shape{7, 8}, normal)
	x16, _ := s.random(t, engine.Float16, engine.Shape{6, 8}, normal)
	wide, _ := s.random(t, engine.Float32, engine.Shape{2, 2*engine.MaxHeadDim + 2}, normal)
	for _, c := range []struct {
		what    string
		q, k, v *engine.Array
		heads   int
		scale   float32
		lengths []int
	}{
		{"k of 7 rows", x, x7, x, 2, 1, []int{6}},
		{"float16 v", x, x, x16, 2, 1, []int{6}},
		{"3 heads over 8 columns", x, x, x, 3, 1, []int{6}},
		{"0 heads", x, x, x, 0, 1, []int{6}},
		{"heads wider than MaxHeadDim", wide, wide, wide, 1, 1, []int{2}},
		{"lengths summing to 5", x, x, x, 2, 1, []int{2, 3}},
		{"a length of 0", x, x, x, 2, 1, []int{6, 0}},
		{"NaN scale", x, x, x, 2, float32(math.NaN()), []int{6}},
	} {
		if _, err := engine.Attention(c.q, c.k, c.v, c.heads, c.scale, c.lengths); err == nil {
			t.Errorf("attention with %s: no error", c.what)
		}
	}
}

// AttentionRef is Attention in float64 (exported for the backends' own
// tests of their kernels): for each sequence, head and query
// row, the scores against the sequence's rows, their softmax (the maximum
// subtracted first) and the weighted sum of the value rows.
func AttentionRef(q, k, v []float64, h, heads int, scale float64, lengths []int) []float64 {
	out := make([]float64, len(q))
	dh := h / heads
	s0 := 0
	for _, l := range lengths {
		p := make([]float64, l)
		for j := range heads {
			c0 := j * dh
			for i := s0; i < s0+l; i++ {
				mx := math.Inf(-1)
				for r := range l {
					d := 0.0
					for c := c0; c < c0+dh; c++ {
						d += q[i*h+c] * k[(s0+r)*h+c]
					}
					p[r] = scale * d
					mx = math.Max(mx, p[r])
				}
				sum := 0.0
				for r := range p {
					p[r] = math.Exp(p[r] - mx)
					sum += p[r]
				}
				for c := c0; c < c0+dh; c++ {
					acc := 0.0
					for r := range l {
						acc += p[r] * v[(s0+r)*h+c]
					}
					out[i*h+c] = acc / sum
				}
			}
		}
		s0 += l
	}
	return out
}
