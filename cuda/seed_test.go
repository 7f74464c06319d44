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
// rest), whose queries must all be searched again without a seed; then
// masked searches (checkMasked), whose seeds skip the failing rows: half
// or a tenth of the rows passing, a sample with too few passing rows to
// seed a threshold, and fewer than k rows passing (searched again).
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
	// Masked searches (a row bitmap) are seeded too: the sample's failing
	// rows score the worst, and no list holds a failing row.
	for _, c := range []struct {
		name       string
		dt         engine.DType
		m, n, d, k int
		share      float64
		again      bool // every query searched again: fewer than kc rows pass, or the sample seeds the worst score
	}{
		{"10% pass", engine.Float16, 32, 100003, 96, 1000, 0.1, false},
		{"half pass, TF32", engine.Float32, 40, 60001, 64, 300, 0.5, false},
		// About 1500 rows pass, 48 of the sample's 6452, fewer than its
		// rank 65: every seed is the worst score, and the scan's blocks
		// return at once (scan_tc.cuh, unseeded).
		{"a sample with too few passing rows", engine.Float16, 24, 200003, 64, 1000, 0.0075, true},
		{"fewer than k pass", engine.Float16, 20, 50021, 64, 1000, 0.01, true},
	} {
		seeds, again := b.seeds.Load(), b.reseeded.Load()
		checkMasked(t, e, rng, c.dt, c.m, c.n, c.d, c.k, c.share)
		if b.seeds.Load() == seeds {
			t.Fatalf("masked, %s: not seeded", c.name)
		}
		n := b.reseeded.Load() - again
		if c.again && n < int64(c.m) || !c.again && n != 0 {
			t.Errorf("masked, %s: %d of %d queries searched again", c.name, n, c.m)
		}
	}
}

// TestPlanSeed checks how seeded searches are cut: a sample of every
// kc/32-th row whose rank kk (about 64) expects about 2 kc rows past its
// score, no seed where the sample would be denser than every fourth row
// or have fewer than 4 kk rows, and chunks of queries (multiples of 64
// unless one holds them all) whose lists and selections fit the scratch.
func TestPlanSeed(t *testing.T) {
	for _, c := range []struct {
		m, n, k int
		tf32    bool
		ok      bool
	}{
		{64, 1000000, 1000, false, true},
		{1024, 1000000, 4096, true, true},
		{1024, 1000000, 4096, false, true},
		{300, 70001, 3000, false, true},
		{64, 1000000, 100, false, false}, // kc 100: every third row
		{64, 1000000, 100, true, true},   // kc 200
		{255, 1000000, 100, true, true},  // kc 200, every 6th row
		{256, 1000000, 100, true, false}, // too many queries for every 6th row
		{1024, 1000000, 511, false, false},
		{1024, 1000000, 512, false, true}, // every 16th row
		{64, 1000000, 127, false, false},
		{64, 7000, 1000, false, false}, // 225 samples
		{20, 1 << 20, 65536, false, true},
	} {
		kc := c.k
		if c.tf32 {
			kc = tf32Candidates(c.k)
		}
		sp, ok := planSeed(c.m, c.n, c.k, kc, c.tf32)
		if ok != c.ok {
			t.Fatalf("%+v: planned %t, want %t", c, ok, c.ok)
		}
		if !ok {
			continue
		}
		expect := sp.kk * sp.step // rows past the seed, expected
		per := 8*sp.L + 8*kc + 12*sp.kk + 12
		if c.tf32 {
			per += 16*kc + 8*c.k
		}
		switch {
		case sp.step < seedMinStep || sp.s != (c.n+sp.step-1)/sp.step || sp.s < 4*sp.kk:
			t.Fatalf("%+v: step %d, %d samples, rank %d", c, sp.step, sp.s, sp.kk)
		case sp.kk < seedRank-8 || sp.kk > seedRank+8 || expect < 2*kc || expect > 2*kc+2*sp.step:
			t.Fatalf("%+v: rank %d of every %d-th row: %d rows expected past the seed, want about 2 kc = %d", c, sp.kk, sp.step, expect, 2*kc)
		case sp.L != seedList*kc:
			t.Fatalf("%+v: lists of %d keys, want %d", c, sp.L, seedList*kc)
		case sp.g < 1 || sp.g > c.m || sp.g < c.m && (sp.g%64 != 0 || sp.g*per > scoreScratch && sp.g > 64):
			t.Fatalf("%+v: chunks of %d queries, %d bytes each", c, sp.g, sp.g*per)
		}
	}
}
