package store

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/silica-go/silica/engine"
)

// TestAddFlat adds random rows at awkward sizes through AddFlat and checks
// searches against the float64 reference, then checks that a flat slice
// of the wrong length is refused with the numbers and changes nothing.
func TestAddFlat(t *testing.T) {
	r := rand.New(rand.NewPCG(13, 17))
	for _, c := range []struct {
		n, d int
		m    Metric
	}{{1, 3, Cosine}, {37, 5, L2}, {129, 17, Dot}} {
		s := newStore(t, Options{Dim: c.d, Metric: c.m, Backend: "cpu"})
		vecs := randVectors(r, c.n, c.d)
		ids := randIDs(r, c.n)
		flat := make([]float32, 0, c.n*c.d)
		want := model{}
		for i, v := range vecs {
			flat = append(flat, v...)
			want[ids[i]] = v
		}
		if err := s.AddFlat(ids, flat); err != nil {
			t.Fatal(err)
		}
		if s.Len() != c.n {
			t.Fatalf("%d rows after AddFlat of %d", s.Len(), c.n)
		}
		for range 3 {
			q := randVectors(r, 1, c.d)[0]
			k := 1 + r.IntN(c.n)
			hits, err := s.Search(q, k)
			if err != nil {
				t.Fatal(err)
			}
			checkHits(t, "AddFlat", c.m, engine.Float32, want, nil, q, k, hits)
		}
		err := s.AddFlat([]int64{1 << 40, 1<<40 + 1}, make([]float32, 2*c.d-1))
		if err == nil || !strings.Contains(err.Error(), "2 ids of dimension") || s.Len() != c.n {
			t.Errorf("AddFlat of a short slice: %v, %d rows; want an error with the numbers, %d rows", err, s.Len(), c.n)
		}
	}
}

// TestRoundAway: roundAway equals math.Round on every float32 from -200
// to 200 a sixteenth apart (every half included), both signs of zero,
// and random values of quantized magnitude.
func TestRoundAway(t *testing.T) {
	r := rand.New(rand.NewPCG(8, 9))
	var ys []float32
	for i := -3200; i <= 3200; i++ {
		ys = append(ys, float32(i)/16)
	}
	ys = append(ys, float32(math.Copysign(0, -1)), math.Nextafter32(0.5, 0), math.Nextafter32(-0.5, 0), math.Nextafter32(126.5, 127))
	for range 100000 {
		ys = append(ys, float32(r.Float64()*300-150))
	}
	for _, y := range ys {
		if got, want := roundAway(y), int32(math.Round(float64(y))); got != want {
			t.Fatalf("roundAway(%v) = %v; math.Round gives %v", y, got, want)
		}
	}
}
