package cuda

import (
	"math"
	"math/rand/v2"
	"sort"
	"testing"

	"github.com/silica-go/silica/engine"
	"github.com/silica-go/silica/internal/testenv"
)

// TestCandSelect runs candSelect (many 16-bit queries at a k past the
// fused scan's, where no seed is drawn: Config.NoSeed) with parts of 777 rows, so that every search scores
// many parts and compacts its buffers again and again, and checks ids
// and scores against float64 (checkSearch): several chunks of queries
// (candShape), k past a part and up to 4096, dot and cosine, float32
// (matmul_tiled's scores) and 16-bit rows, rows with
// many exact ties; then a masked search in which fewer rows pass than
// k, whose passing rows must come first, best first, and then the
// failing rows at the worst score by smaller index.
func TestCandSelect(t *testing.T) {
	b, err := NewConfig(0, Config{CandRows: 777, NoSeed: true})
	testenv.Need(t, "cuda", err)
	t.Cleanup(func() { b.Close() })
	e := engine.New("cuda", b)
	rng := rand.New(rand.NewPCG(31, 7))
	for _, c := range []searchCase{
		{40, 17001, 128, 4096, engine.BFloat16, true},
		{33, 20011, 96, 1500, engine.Float16, false},
		{16, 9001, 64, 2500, engine.Float16, true},
		{300, 5003, 64, 1100, engine.Float16, false},
		{20, 9001, 100, 1500, engine.Float32, true},
		{17, 12007, 768, 2048, engine.Float32, false},
	} {
		checkSearch(t, e, rng, c, nil)
	}
	checkSearch(t, e, rng, searchCase{24, 6007, 32, 2000, engine.Float16, false}, func(i, j int) float64 { return float64((i*7+j)%5) - 2 })
	checkMasked(t, e, rng, engine.Float16, 20, 9001, 64, 1200, 0.02)
	// The default parts, growing from 4k rows: 4400, 8800, 17600 and so
	// on up to candShape's.
	d, err := NewConfig(0, Config{NoSeed: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	checkSearch(t, engine.New("cuda", d), rng, searchCase{20, 200003, 32, 1100, engine.Float16, false}, nil)
}

// checkMasked searches m queries over n rows of dtype dt at k through a
// row bitmap that keeps about share of the rows and checks the answer
// against float64: the passing rows first, best first, and where fewer
// than k pass, the failing rows after them at the worst score by
// smaller index.
func checkMasked(t *testing.T, e *engine.Engine, rng *rand.Rand, dt engine.DType, m, n, d, k int, share float64) {
	t.Helper()
	qf, xf := make([]float32, m*d), make([]float32, n*d)
	for i := range qf {
		qf[i] = float32(rng.NormFloat64())
	}
	for i := range xf {
		xf[i] = float32(rng.NormFloat64())
	}
	words := make([]int32, (n+31)/32)
	pass := make([]bool, n)
	for r := range n {
		if rng.Float64() < share {
			pass[r] = true
			words[r/32] |= int32(uint32(1) << (r % 32))
		}
	}
	q, err := e.FromFloat32As(qf, dt, m, d)
	if err != nil {
		t.Fatal(err)
	}
	x, err := e.FromFloat32As(xf, dt, n, d)
	if err != nil {
		t.Fatal(err)
	}
	bits, err := e.FromInt32(words, len(words))
	if err != nil {
		t.Fatal(err)
	}
	qv := engine.DecodeFloat32(dt, mustBytes(t, q))
	xv := engine.DecodeFloat32(dt, mustBytes(t, x))
	scores, err := engine.MatMul(q, x, false, true)
	if err != nil {
		t.Fatal(err)
	}
	masked, err := engine.MaskRows(scores, bits, true)
	if err != nil {
		t.Fatal(err)
	}
	vals, idx, err := engine.TopK(masked, k, true)
	if err != nil {
		t.Fatal(err)
	}
	if p, err := e.Explain(vals, idx); err != nil || len(p.Steps) != 1 {
		t.Fatalf("the masked search did not fuse into one scan (%v):\n%s", err, p)
	}
	got, ids := hitsOf(t, vals, idx)
	for i := range m {
		var passing, failing []int
		ref := make([]float64, n)
		for r := range n {
			for j := range d {
				ref[r] += float64(qv[i*d+j]) * float64(xv[r*d+j])
			}
			if pass[r] {
				passing = append(passing, r)
			} else {
				failing = append(failing, r)
			}
		}
		sort.Slice(passing, func(a, b int) bool { return ref[passing[a]] > ref[passing[b]] })
		var qn float64
		for j := range d {
			qn += float64(qv[i*d+j]) * float64(qv[i*d+j])
		}
		tol := 2e-5 * 4 * math.Sqrt(qn)
		for j := range k {
			id, v := ids[i*k+j], float64(got[i*k+j])
			if j < len(passing) {
				if id < 0 || id >= int64(n) || !pass[id] || math.Abs(v-ref[id]) > tol || math.Abs(v-ref[passing[j]]) > tol {
					t.Fatalf("query %d rank %d of %d passing rows: id %d score %g, want the %d-th best passing score %g (id %d)",
						i, j, len(passing), id, v, j+1, ref[passing[j]], passing[j])
				}
				continue
			}
			if want := failing[j-len(passing)]; id != int64(want) || !math.IsInf(v, -1) {
				t.Fatalf("query %d rank %d past the %d passing rows: id %d score %g, want failing row %d at -Inf", i, j, len(passing), id, v, want)
			}
		}
	}
}
