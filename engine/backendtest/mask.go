package backendtest

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/silica-go/silica/engine"
)

// maskShares are the shares of rows a test bitmap lets pass: none, one
// row (-1), 1%, 10%, half, all.
var maskShares = []float64{0, -1, 0.01, 0.1, 0.5, 1}

// bitmap draws a row bitmap of n rows passing about share of them (one
// row for share -1), with every bit past n set, which OpMaskRows must
// ignore. It returns the words as Int32 and which rows pass.
func bitmap(rng *rand.Rand, n int, share float64) ([]int32, []bool) {
	pass := make([]bool, n)
	switch {
	case share < 0 && n > 0:
		pass[rng.IntN(n)] = true
	case share >= 1:
		for r := range pass {
			pass[r] = true
		}
	default:
		for r := range pass {
			pass[r] = rng.Float64() < share
		}
	}
	w := make([]uint32, (n+31)/32)
	for r, p := range pass {
		if p {
			w[r/32] |= 1 << (r % 32)
		}
	}
	if n%32 != 0 {
		w[len(w)-1] |= ^uint32(0) << (n % 32)
	}
	out := make([]int32, len(w))
	for i, x := range w {
		out[i] = int32(x)
	}
	return out, pass
}

// maskRef applies pass to the scores [m, n] as OpMaskRows does.
func maskRef(scores []float64, pass []bool, largest bool) []float64 {
	n := len(pass)
	bad := math.Inf(1)
	if largest {
		bad = math.Inf(-1)
	}
	out := make([]float64, len(scores))
	for i, v := range scores {
		if !pass[i%n] {
			v = bad
		}
		out[i] = v
	}
	return out
}

// testMaskRows checks OpMaskRows element by element (exactly: a passing
// score is copied, a failing one is ±Inf), alone and under a TopK, at
// sizes that are not multiples of 32, every float dtype, with bits past n
// set; and the errors of a bitmap of the wrong type or length.
func testMaskRows(t *testing.T, s *suite) {
	shapes := []engine.Shape{{1}, {31}, {33}, {1000}, {3, 65}, {7, 513}, {2, 70001}}
	for _, dt := range floatTypes {
		for _, sh := range shapes {
			n := sh[len(sh)-1]
			for si, share := range maskShares {
				largest := si%2 == 0
				x, xv := s.random(t, dt, sh, normal)
				words, pass := bitmap(s.rng, n, share)
				bits := s.ok(s.e.FromInt32(words, len(words)))
				y := s.ok(engine.MaskRows(x, bits, largest))
				if y.DType() != engine.Float32 || !y.Shape().Equal(sh) {
					t.Fatalf("mask_rows %s %v: result %s %v, want float32 %v", dt, sh, y.DType(), y.Shape(), sh)
				}
				want := maskRef(xv.v, pass, largest)
				got := values(t, y)
				for i := range want {
					if got[i] != want[i] {
						t.Fatalf("mask_rows %s %v share %g largest=%t: element %d = %g, want %g", dt, sh, share, largest, i, got[i], want[i])
					}
				}
				k := min(n, 1+s.rng.IntN(n+1))
				vals, idx, err := engine.TopK(s.ok(engine.MaskRows(x, bits, largest)), k, largest)
				if err != nil {
					t.Fatal(err)
				}
				expectTopK(t, name("topk of mask_rows ", dt, sh, " share ", share, " k=", k), vals, idx, want, sh.Size()/n, n, k, largest, 0)
			}
		}
	}
	x := s.ok(s.e.RandomNormal(1, engine.Float32, 3, 33))
	for _, bad := range []*engine.Array{
		s.ok(s.e.FromInt32([]int32{1}, 1)),                 // one word for 33 rows
		s.ok(s.e.FromInt32([]int32{1, 2, 3}, 3)),           // three
		s.ok(s.e.FromInt64([]int64{1, 2}, 2)),              // not int32
		s.ok(s.e.FromFloat32([]float32{1, 2, 3, 4}, 2, 2)), // not a vector
	} {
		if _, err := engine.MaskRows(x, bad, true); err == nil {
			t.Errorf("mask_rows of [3 33] with a bitmap %s %v: no error", bad.DType(), bad.Shape())
		}
	}
}

// testScanMasked checks masked searches, TopK(MaskRows(scores)) over
// dot, cosine and L2 scores, which the scheduler fuses into one scan
// reading the bitmap where the backend can, against brute force in
// float64: every share of passing rows, k from 1 to past the passing
// count and past n, and a mask of the other order (never fused).
func testScanMasked(t *testing.T, s *suite) {
	searches := metricSearches()
	shapes := [][4]int{ // m, n, d, k
		{1, 1, 3, 1}, {1, 1000, 31, 10}, {1, 3001, 384, 100}, {2, 777, 65, 1000}, {9, 2049, 96, 50}, {64, 1111, 40, 17},
		{3, 1500, 24, 200}, {2, 1200, 20, 400}, // k of every size class of the backends' scans
		{32, 3000, 64, 50}, // many queries (CUDA's tensor-core scans), fewer rows passing than k
	}
	for _, dt := range floatTypes {
		for _, sr := range searches {
			for shi, sh := range shapes {
				m, n, d, k := sh[0], sh[1], sh[2], sh[3]
				share := maskShares[(shi+len(sr.metric))%len(maskShares)]
				switch shi {
				case 2:
					share = 0.1
				case 4:
					share = 0.01 // about 20 rows pass, k = 50
				case 8:
					share = 0.01 // about 30 rows pass, k = 50
				}
				q, qv := s.random(t, dt, engine.Shape{m, d}, normal)
				x, xv := s.random(t, dt, engine.Shape{n, d}, normal)
				words, pass := bitmap(s.rng, n, share)
				bits := s.ok(s.e.FromInt32(words, len(words)))
				ref := sr.ref(qv.v, xv.v, m, n, d)
				tol := 1e-5
				if dt != engine.Float32 && sr.metric == "cosine" {
					tol = Tol(dt) // normalized rows may be rounded to dt when not fused
				}
				for _, order := range []bool{sr.large, !sr.large} {
					scores := s.ok(sr.build(q, x))
					masked := s.ok(engine.MaskRows(scores, bits, order))
					vals, idx, err := engine.TopK(masked, k, sr.large)
					if err != nil {
						t.Fatal(err)
					}
					expectTopK(t, name("masked scan ", sr.metric, " ", dt, " m,n,d,k=", sh, " share ", share, " mask largest=", order),
						vals, idx, maskRef(ref, pass, order), m, n, k, sr.large, tol)
				}
			}
		}
	}
	testScanMaskedQuantized(t, s)
}

// testScanMaskedQuantized is testScanMasked over int8 rows with row
// scales (Dequantize under the scores).
func testScanMaskedQuantized(t *testing.T, s *suite) {
	for shi, sh := range [][4]int{{1, 1000, 64, 10}, {7, 2001, 33, 100}, {3, 50, 768, 60}, {2, 1100, 16, 200}, {1, 900, 24, 400}, {2, 1500, 20, 1000}} {
		m, n, d, k := sh[0], sh[1], sh[2], sh[3]
		qa, qv := s.random(t, engine.Float32, engine.Shape{m, d}, normal)
		xa, _ := s.random(t, engine.Float32, engine.Shape{n, d}, normal)
		qi, sc, deq := s.quantized(t, xa, n, d)
		share := []float64{0.1, -1, 0.5, 0.01, 1, 0.1}[shi]
		words, pass := bitmap(s.rng, n, share)
		bits := s.ok(s.e.FromInt32(words, len(words)))
		for _, metric := range []string{"dot", "cosine", "l2"} {
			scores, ref, large := s.quantizedScores(metric, qa, qv, qi, sc, deq, m, n, d)
			vals, idx, err := engine.TopK(s.ok(engine.MaskRows(scores, bits, large)), k, large)
			if err != nil {
				t.Fatal(err)
			}
			expectTopK(t, name("masked int8 scan ", metric, sh, " share ", share), vals, idx, maskRef(ref, pass, large), m, n, k, large, 1e-5)
		}
	}
}
