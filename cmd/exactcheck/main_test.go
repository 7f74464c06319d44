package main

import (
	"math/rand/v2"
	"os"
	"slices"
	"testing"

	"github.com/silica-go/silica/engine"
	"github.com/silica-go/silica/internal/testenv"
	"github.com/silica-go/silica/store"
)

func TestMain(m *testing.M) { testenv.Main(m) }

// TestStoreOnCPU runs the whole check on the cpu backend at a small size:
// the store's answers pass it.
func TestStoreOnCPU(t *testing.T) {
	c := config{backend: "cpu", rows: 3000, dim: 37, queries: 6, seed: rand.Uint64(),
		ks: []int{1, 9, 100, 5000}, dtypes: []engine.DType{engine.Float32, engine.Float16},
		metrics: []store.Metric{store.Cosine, store.Dot, store.L2}}
	t.Logf("seed %d", c.seed)
	devnull, err := os.Open(os.DevNull)
	if err != nil {
		t.Fatal(err)
	}
	defer devnull.Close()
	bad, err := run(c, devnull)
	if err != nil {
		t.Fatal(err)
	}
	if bad != 0 {
		t.Fatalf("%d violations on the cpu store", bad)
	}
}

// TestCheckCatches gives check wrong answers and wants each caught: a
// missing best row, a wrong score, a tie out of id order, a repeated id.
func TestCheckCatches(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	d := &data{dim: 5, rows: map[int64][]float32{}}
	for range 40 {
		d.rows[int64(rng.Uint64())] = randomRow(5, rng)
	}
	tie := randomRow(5, rng)
	d.rows[-7], d.rows[3] = tie, slices.Clone(tie)
	ref := newReference(d, engine.Float32, store.Dot)
	rk := ref.rank(tie)
	const k = 6
	right := make([]store.Hit, k)
	for j, i := range rk.order[:k] {
		right[j] = store.Hit{ID: ref.ids[i], Score: float32(rk.scores[i])}
	}
	if exact, errs := ref.check(rk, right, k); !exact || len(errs) > 0 {
		t.Fatalf("the float64 answer itself: exact %v, %v", exact, errs)
	}
	if right[0].ID != -7 || right[1].ID != 3 {
		t.Fatalf("the tied pair should lead, smaller id first: %v", right[:2])
	}
	wrong := map[string]func(h []store.Hit) []store.Hit{
		"best row missing": func(h []store.Hit) []store.Hit {
			return append(h[1:], store.Hit{ID: ref.ids[rk.order[k]], Score: float32(rk.scores[rk.order[k]])})
		},
		"wrong score":            func(h []store.Hit) []store.Hit { h[2].Score += 0.01; return h },
		"tie out of order":       func(h []store.Hit) []store.Hit { h[0], h[1] = h[1], h[0]; return h },
		"repeated id":            func(h []store.Hit) []store.Hit { h[3] = h[2]; return h },
		"one hit too few":        func(h []store.Hit) []store.Hit { return h[:k-1] },
		"order of scores":        func(h []store.Hit) []store.Hit { h[2], h[4] = h[4], h[2]; return h },
		"a row not in the store": func(h []store.Hit) []store.Hit { h[5].ID = 12345; return h },
	}
	for name, f := range wrong {
		if _, errs := ref.check(rk, f(slices.Clone(right)), k); len(errs) == 0 {
			t.Errorf("%s: not caught", name)
		}
	}
}
