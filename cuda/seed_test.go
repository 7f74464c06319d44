package cuda

import (
	"math/rand/v2"
	"testing"

	"github.com/silica-go/silica/engine"
	"github.com/silica-go/silica/internal/testenv"
)

// TestSeeded runs the seeded search (seed.go: many queries at a large k
// on the tensor cores, thresholds drawn from a sample of the rows) and
// checks ids and scores against float64 (checkSearch): 16-bit and
// float32 (TF32, re-scored) rows, dot and cosine, k from 256 to 4096,
// several chunks of queries; rows with exact ties, whose lists overflow,
// and a sample that misleads (every sampled row the same, far from the
// rest), whose queries must all be searched again without a seed.
func TestSeeded(t *testing.T) {
	b, err := New(0)
	testenv.Need(t, "cuda", err)
	t.Cleanup(func() { b.Close() })
	e := engine.New("cuda", b)
	rng := rand.New(rand.NewPCG(41, 3))
	for _, c := range []searchCase{
		{64, 100003, 96, 1000, engine.Float16, true},
		{100, 60001, 64, 256, engine.BFloat16, false},
		{40, 200003, 128, 4096, engine.Float16, false},
		{70, 50021, 100, 300, engine.Float32, true},
		{20, 150001, 768, 2000, engine.Float32, false},
		{300, 70001, 64, 3000, engine.Float16, false}, // chunks of queries (planSeed)
	} {
		seeds, again := b.seeds.Load(), b.reseeded.Load()
		checkSearch(t, e, rng, c, nil)
		if b.seeds.Load() == seeds {
			t.Fatalf("%+v: not seeded", c)
		}
		if n := b.reseeded.Load() - again; n != 0 {
			t.Errorf("%+v: %d of %d queries searched again: random rows should not mislead a seed", c, n, c.m)
		}
	}
	for _, c := range []struct {
		name string
		c    searchCase
		rows func(i, j int) float64
		min  int // queries that must be searched again
	}{
		// Five distinct rows: the best of each query ties n/5 rows, more
		// than its list holds.
		{"ties", searchCase{64, 80021, 32, 1000, engine.Float16, false}, func(i, j int) float64 { return float64((i*7+j)%5) - 2 }, 64},
		// k = 1000: the sample is every 31st row, here all the same row
		// whose score, 30 sum(q), is far above or below the others' for
		// most queries: too few rows pass its seed, or too many.
		{"misleading sample", searchCase{32, 9000, 96, 1000, engine.Float16, false}, func(i, j int) float64 {
			if i%31 == 0 {
				return 30
			}
			return rng.NormFloat64()
		}, 16},
	} {
		seeds, again := b.seeds.Load(), b.reseeded.Load()
		checkSearch(t, e, rng, c.c, c.rows)
		if b.seeds.Load() == seeds {
			t.Fatalf("%s: not seeded", c.name)
		}
		n := b.reseeded.Load() - again
		if n < int64(c.min) {
			t.Errorf("%s: %d of %d queries searched again, want at least %d", c.name, n, c.c.m, c.min)
		}
		t.Logf("%s: %d of %d queries searched again", c.name, n, c.c.m)
	}
}
