package cuda

import (
	"errors"
	"math"
	"math/rand/v2"
	"sort"
	"testing"

	"github.com/silica-go/silica/engine"
	"github.com/silica-go/silica/engine/backendtest"
	"github.com/silica-go/silica/internal/testenv"
)

// openTest opens the first GPU, or skips (fails in CI unless "cuda" is
// allowed missing) saying why it cannot.
func openTest(t *testing.T) *Backend {
	t.Helper()
	b, err := Open(0)
	testenv.Need(t, "cuda", err)
	t.Cleanup(func() { b.Close() })
	return b
}

// TestBackend runs the shared backend suite (every op against float64
// references, poisoned buffers, awkward sizes).
func TestBackend(t *testing.T) {
	b := openTest(t)
	t.Logf("device: %+v", b.Device())
	backendtest.Run(t, "cuda", b)
}

// TestOpenWithoutDriver checks the error when libcuda is absent: it wraps
// engine.ErrUnavailable and names what is missing.
func TestOpenWithoutDriver(t *testing.T) {
	if loadDriver() == nil {
		testenv.SkipBecause(t, "CUDA driver present")
	}
	_, err := engine.Open("cuda")
	if err == nil || !errors.Is(err, engine.ErrUnavailable) {
		t.Fatalf("engine.Open(\"cuda\") without a driver: %v; want ErrUnavailable", err)
	}
	t.Log(err)
}

// searchCase is one fused search checked against a float64 reference.
type searchCase struct {
	m, n, d, k int
	dt         engine.DType
	cosine     bool
}

// TestSearchRegimes runs the fused search in each of its regimes (one
// query: the streaming row scan; a few: grouped row scan; many: tensor
// cores, TF32 with exact re-scoring for float32) at sizes that are
// multiples of no tile, and checks ids and scores against float64.
func TestSearchRegimes(t *testing.T) {
	b := openTest(t)
	e := engine.New("cuda", b)
	cases := []searchCase{
		{1, 20011, 768, 100, engine.Float32, false},
		{1, 20011, 768, 100, engine.Float16, true},
		{1, 5003, 100, 1, engine.BFloat16, false},
		{1, 700, 96, 700, engine.Float32, true},
		{7, 20011, 384, 100, engine.Float32, true},
		{64, 20011, 768, 100, engine.Float32, false},
		{64, 20011, 768, 100, engine.Float16, false},
		{257, 20011, 768, 100, engine.Float32, true},
		{257, 10007, 768, 100, engine.BFloat16, false},
		{100, 3000, 256, 1024, engine.Float32, false},
		{33, 4000, 64, 7, engine.Float32, false},
	}
	rng := rand.New(rand.NewPCG(7, 11))
	for _, c := range cases {
		checkSearch(t, e, rng, c, nil)
	}
	ver, err := scanVersion()
	if err != nil {
		t.Fatal(err)
	}
	if ver == "" {
		b.do(func() error { ver = b.d.bestScan(); return nil })
	}
	if got := moduleLoaded(b, "scan_mma_v4.cu"); got != (ver != "v3") {
		t.Fatalf("scan version %s, yet scan_mma_v4 loaded: %t", ver, got)
	}
	t.Logf("tensor-core scan %s", ver)
}

// TestSearchRefine makes the TF32 bound fail (rows that differ by less
// than TF32 resolves) and checks that the exact fall back still gives the
// exact answer.
func TestSearchRefine(t *testing.T) {
	b := openTest(t)
	e := engine.New("cuda", b)
	rng := rand.New(rand.NewPCG(9, 3))
	c := searchCase{40, 3001, 128, 20, engine.Float32, false}
	base := make([]float64, c.d)
	for j := range base {
		base[j] = rng.NormFloat64()
	}
	rowGen := func(i, j int) float64 { return base[j] * (1 + 1e-6*rng.NormFloat64()) }
	before := b.refined.Load()
	checkSearch(t, e, rng, c, rowGen)
	if b.refined.Load() == before {
		t.Errorf("no query was searched again, though TF32 cannot separate these rows")
	}
}

func checkSearch(t *testing.T, e *engine.Engine, rng *rand.Rand, c searchCase, rowGen func(i, j int) float64) {
	t.Helper()
	qf := make([]float32, c.m*c.d)
	xf := make([]float32, c.n*c.d)
	for i := range qf {
		qf[i] = float32(rng.NormFloat64())
	}
	for i := range xf {
		if rowGen != nil {
			xf[i] = float32(rowGen(i/c.d, i%c.d))
		} else {
			xf[i] = float32(rng.NormFloat64())
		}
	}
	q, err := e.FromFloat32As(qf, c.dt, c.m, c.d)
	if err != nil {
		t.Fatal(err)
	}
	x, err := e.FromFloat32As(xf, c.dt, c.n, c.d)
	if err != nil {
		t.Fatal(err)
	}
	qv := engine.DecodeFloat32(c.dt, mustBytes(t, q))
	xv := engine.DecodeFloat32(c.dt, mustBytes(t, x))
	var scores *engine.Array
	if c.cosine {
		scores, err = engine.Cosine(q, x)
	} else {
		scores, err = engine.MatMul(q, x, false, true)
	}
	if err != nil {
		t.Fatal(err)
	}
	vals, idx, err := engine.TopK(scores, c.k, true)
	if err != nil {
		t.Fatal(err)
	}
	p, err := e.Explain(vals, idx)
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Steps) != 1 || p.Steps[0].Op != engine.OpScanTopK {
		t.Fatalf("%+v: the search did not fuse into one scan:\n%s", c, p)
	}
	got, err := vals.Float32()
	if err != nil {
		t.Fatalf("%+v: %v", c, err)
	}
	ids, err := idx.Int64()
	if err != nil {
		t.Fatal(err)
	}
	norm := func(v []float32, r, d int) float64 {
		var s float64
		for _, x := range v[r*d : (r+1)*d] {
			s += float64(x) * float64(x)
		}
		return max(math.Sqrt(s), 1e-12)
	}
	xn := make([]float64, c.n)
	for r := range c.n {
		xn[r] = norm(xv, r, c.d)
	}
	for i := range c.m {
		ref := make([]float64, c.n)
		qn := norm(qv, i, c.d)
		for r := range c.n {
			var s float64
			for j := range c.d {
				s += float64(qv[i*c.d+j]) * float64(xv[r*c.d+j])
			}
			if c.cosine {
				s /= qn * xn[r]
			}
			ref[r] = s
		}
		order := make([]int, c.n)
		for r := range order {
			order[r] = r
		}
		sort.Slice(order, func(a, b int) bool { return ref[order[a]] > ref[order[b]] })
		scale := qn * 4 // scores' error scale: |q| |x| for dot, 1 for cosine
		if c.cosine {
			scale = 1
		}
		tol := 2e-5 * scale
		seen := map[int64]bool{}
		for j := range c.k {
			id := ids[i*c.k+j]
			v := float64(got[i*c.k+j])
			if id < 0 || id >= int64(c.n) || seen[id] {
				t.Fatalf("%+v query %d rank %d: index %d out of range or repeated", c, i, j, id)
			}
			seen[id] = true
			if math.Abs(v-ref[id]) > tol {
				t.Fatalf("%+v query %d rank %d: id %d reported %g, its score is %g", c, i, j, id, v, ref[id])
			}
			if want := ref[order[j]]; math.Abs(v-want) > tol {
				t.Fatalf("%+v query %d rank %d: value %g, the exact %d-th best is %g (id %d)", c, i, j, v, j+1, want, order[j])
			}
		}
	}
}

func mustBytes(t *testing.T, a *engine.Array) []byte {
	t.Helper()
	b, err := a.Bytes()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestMemory checks the pool: memory is counted, reused, and an
// impossible allocation is an error, not a crash.
func TestMemory(t *testing.T) {
	b := openTest(t)
	buf, err := b.Alloc(1 << 20)
	if err != nil {
		t.Fatal(err)
	}
	used := b.MemoryInUse()
	if used < 1<<20 {
		t.Fatalf("MemoryInUse %d after a 1 MiB allocation", used)
	}
	b.Free(buf)
	buf2, err := b.Alloc(1<<20 - 100)
	if err != nil {
		t.Fatal(err)
	}
	if b.MemoryInUse() != used {
		t.Errorf("a freed buffer of the same class was not reused: %d then %d bytes in use", used, b.MemoryInUse())
	}
	b.Free(buf2)
	if _, err := b.Alloc(1 << 50); err == nil {
		t.Fatal("allocating 1 PiB succeeded")
	} else {
		t.Log(err)
	}
}

// TestCloseThenUse checks that a closed backend fails cleanly.
func TestCloseThenUse(t *testing.T) {
	b := openTest(t)
	b.Close()
	if _, err := b.Alloc(16); err == nil {
		t.Fatal("Alloc after Close succeeded")
	}
}
