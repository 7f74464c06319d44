package cuda

import (
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/silica-go/silica/engine"
)

// TestSearchLargeK runs searches whose k is past the fused scans'
// buffers (scoreSelect: scores in chunks of queries, then the
// multi-block select) in every regime, with the scratch limit cut so
// that the queries go in several chunks of awkward sizes, and checks
// ids and scores against float64 (checkSearch): single query with k up
// to n, a few queries, and the tensor-core regime's query counts.
func TestSearchLargeK(t *testing.T) {
	b := openTest(t)
	e := engine.New("cuda", b)
	old := scoreScratch
	defer func() { scoreScratch = old }()
	rng := rand.New(rand.NewPCG(21, 5))
	cases := []struct {
		c       searchCase
		scratch int // 0: the default; 1 MiB: chunks of 5, 5, 3 queries; 3 MiB: 4 of 16
	}{
		{searchCase{1, 70001, 768, 4096, engine.Float32, false}, 0},
		{searchCase{1, 20011, 64, 20011, engine.Float16, true}, 0},
		{searchCase{8, 50021, 96, 1000, engine.Float16, true}, 0},
		{searchCase{13, 40009, 100, 129, engine.Float32, false}, 1 << 20},
		{searchCase{64, 30011, 256, 2000, engine.Float32, false}, 3 << 20},
		{searchCase{40, 17001, 128, 4096, engine.BFloat16, true}, 0},
		// Dot products of 16-bit rows score on tensor cores: up to 64
		// queries a chunk matmul_skinny (1, 2, 4 and 8 query blocks,
		// partial ones, groups of 16 rows cut short), more matmul_mma
		// (partial tiles); chunks of queries, and a d that is no multiple
		// of 8 (the row kernel instead).
		{searchCase{8, 50021, 96, 1000, engine.Float16, false}, 0},
		{searchCase{40, 17001, 200, 300, engine.BFloat16, false}, 1 << 20},
		{searchCase{9, 20011, 100, 2000, engine.Float16, false}, 0},
		{searchCase{20, 30011, 768, 1500, engine.Float16, false}, 0},
		{searchCase{70, 20011, 96, 1500, engine.BFloat16, false}, 0},
	}
	for _, c := range cases {
		scoreScratch = old
		if c.scratch > 0 {
			scoreScratch = c.scratch
		}
		checkSearch(t, e, rng, c.c, nil)
	}
}

// TestWarmCompiles checks Backend.Warm through Engine.Warm on a backend
// with an empty kernel cache: warming searches of every regime (large k
// too) and a few other ops compiles their kernels, and the Eval that
// follows compiles none and gives the right answer.
func TestWarmCompiles(t *testing.T) {
	t.Setenv(cudaCacheEnv, t.TempDir())
	t.Setenv(shippedEnv, "off")
	b := openTest(t)
	e := engine.New("cuda", b)
	var lines []string
	engine.SetProgress(func(m string) {
		if strings.Contains(m, "compiling kernel") {
			lines = append(lines, m)
		}
	})
	defer engine.SetProgress(nil)
	rng := rand.New(rand.NewPCG(2, 8))
	var outs []*engine.Array
	for _, s := range []struct{ m, k int }{{1, 10}, {1, 500}, {5, 100}, {5, 2000}, {64, 100}, {64, 3000}} {
		for _, dt := range []engine.DType{engine.Float32, engine.Float16} {
			x, err := e.RandomNormal(rng.Uint64(), dt, 20000, 96)
			if err != nil {
				t.Fatal(err)
			}
			q, err := e.RandomNormal(rng.Uint64(), dt, s.m, 96)
			if err != nil {
				t.Fatal(err)
			}
			if err := e.Eval(x, q); err != nil {
				t.Fatal(err)
			}
			v, i := fusedSearch(t, e, q, x, true, s.k, s)
			n, err := engine.Normalize(x)
			if err != nil {
				t.Fatal(err)
			}
			outs = append(outs, v, i, n)
		}
	}
	lines = nil
	if err := e.Warm(outs...); err != nil {
		t.Fatal(err)
	}
	if len(lines) == 0 {
		t.Fatal("warm compiled nothing on an empty cache")
	}
	t.Logf("warm compiled %d kernels", len(lines))
	for _, o := range outs {
		if o.Evaluated() {
			t.Fatal("warm evaluated an array")
		}
	}
	lines = nil
	if err := e.Eval(outs...); err != nil {
		t.Fatal(err)
	}
	if len(lines) != 0 {
		t.Errorf("eval after warm compiled %d kernels: %q", len(lines), lines)
	}
	checkSearch(t, e, rng, searchCase{3, 20000, 96, 2000, engine.Float32, true}, nil)
}
