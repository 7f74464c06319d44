package cuda

import (
	"errors"
	"fmt"
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
	b, err := New(0)
	testenv.Need(t, "cuda", err)
	t.Cleanup(func() { b.Close() })
	return b
}

// TestBackend runs the shared backend suite (every op against float64
// references, poisoned buffers, awkward sizes).
func TestBackend(t *testing.T) {
	b := openTest(t)
	b.poison = true
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
	if devs, ok := engine.Devices("cuda"); !ok || len(devs) != 0 {
		t.Errorf(`engine.Devices("cuda") without a driver = %q, %v; want none, listed`, devs, ok)
	}
}

// searchCase is one fused search checked against a float64 reference.
type searchCase struct {
	m, n, d, k int
	dt         engine.DType
	cosine     bool
}

// TestSearchRegimes runs the fused search in each of its regimes (one or
// a few queries: scoring and selecting or, over more rows than the
// scratch holds scores of, the row scan keeping candidates; one query
// again with Config.SelectK at the row select's limit, the streaming row
// scan; many: tensor cores, TF32 with exact re-scoring for float32) at
// sizes that are multiples of no tile, and checks ids and scores against
// float64.
func TestSearchRegimes(t *testing.T) {
	b := openTest(t)
	e := engine.New("cuda", b)
	t.Cleanup(func() { b.SetConfig(Config{}) })
	cases := []searchCase{
		{1, 20011, 768, 100, engine.Float32, false},
		{1, 20011, 768, 100, engine.Float16, true},
		{1, 5003, 100, 1, engine.BFloat16, false},
		{1, 700, 96, 700, engine.Float32, true},
		{7, 20011, 384, 100, engine.Float32, true},
		{7, 2500003, 8, 50, engine.Float32, false}, // too many rows for the group's scores in scratch: the fused select
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
	if err := b.SetConfig(Config{SelectK: rowSelectK}); err != nil {
		t.Fatal(err)
	}
	for _, c := range cases[:4] {
		checkSearch(t, e, rng, c, nil)
	}
	if err := b.SetConfig(Config{}); err != nil {
		t.Fatal(err)
	}
	var ver string
	b.do(func() error { ver = (&runner{b: b, d: b.d}).scanVersion(); return nil })
	file := map[string]string{"v4": "scan_mma_v4.cu", "v5": "scan_wgmma_v5.cu"}[ver]
	if !moduleLoaded(b, file) {
		t.Fatalf("scan version %s, yet no %s kernel loaded", ver, file)
	}
	t.Logf("tensor-core scan %s", ver)
}

// TestSearchRefine searches near ties (nearTies: every query's exact best
// rows score below kc others in TF32, the rest clearly below them) at
// sizes that are multiples of no tile: the TF32 bound must send every
// query to the exact row scan, and the answer must be exactly the planted
// rows, in order, with their float64 scores.
func TestSearchRefine(t *testing.T) {
	b := openTest(t)
	e := engine.New("cuda", b)
	o := nearTies{m: 40, d: 100, k: 20, groups: 8, fillers: 250, frac: 0.5}.generate(t, rand.New(rand.NewPCG(9, 3)))
	checkNearTies(t, b, e, o, true)
}

// TestTF32Bound runs each tensor-core scan (v4 rounds the operands to
// TF32, v5 truncates them) on near ties built for rounding (frac 0.5:
// each operand drops less than half a TF32 unit, which both conversions
// drop) and for truncation (frac 1). Where the scan's conversion drops
// what the data drops, the TF32 candidates miss every exact best row and
// only the bound (tf32Bound) sends the queries to the exact row scan; a
// bound of about 0.6 of the true one (0.75 for v5) or less returns wrong
// rows. TestTF32BoundEmulated checks the same on the CPU.
func TestTF32Bound(t *testing.T) {
	b := openTest(t)
	e := engine.New("cuda", b)
	rng := rand.New(rand.NewPCG(4, 21))
	for _, ver := range []string{"v4", "v5"} {
		t.Run(ver, func(t *testing.T) {
			if ver == "v5" && !b.d.wgmmaOK() {
				testenv.Need(t, "sm_90a", fmt.Errorf("the wgmma scan needs compute capability 9.0 and an NVRTC that builds sm_90a; this device is sm_%d", b.d.cc))
			}
			if err := b.SetConfig(Config{Scan: ver}); err != nil {
				t.Fatal(err)
			}
			for _, frac := range []float64{0.5, 1} {
				o := nearTies{m: 33, d: 64, k: 5, groups: 5, fillers: 100, frac: frac}.generate(t, rng)
				checkNearTies(t, b, e, o, frac == 0.5 || ver == "v5")
			}
		})
	}
}

// checkNearTies runs o's search (fused, float32) and checks every query's
// ids and scores; refine asks that every query was searched again.
func checkNearTies(t *testing.T, b *Backend, e *engine.Engine, o *nearTieData, refine bool) {
	t.Helper()
	before := b.refined.Load()
	q, err := e.FromFloat32As(o.q, engine.Float32, o.m, o.d)
	if err != nil {
		t.Fatal(err)
	}
	x, err := e.FromFloat32As(o.x, engine.Float32, o.n, o.d)
	if err != nil {
		t.Fatal(err)
	}
	vals, idx := fusedSearch(t, e, q, x, false, o.k, o.nearTies)
	if err := e.Eval(vals, idx); err != nil { // one search: refined counts its queries once
		t.Fatal(err)
	}
	got, ids := hitsOf(t, vals, idx)
	refined := b.refined.Load() - before
	for i := range o.m {
		if msg := o.check(i, ids[i*o.k:(i+1)*o.k], got[i*o.k:(i+1)*o.k]); msg != "" {
			t.Fatalf("%+v query %d (%d of %d queries searched again): %s", o.nearTies, i, refined, o.m, msg)
		}
	}
	if refine && refined != int64(o.m) {
		t.Errorf("%+v: %d of %d queries searched again; TF32 ranks every query's best rows below its candidates", o.nearTies, refined, o.m)
	}
	t.Logf("%+v n %d: exact, %d of %d queries searched again", o.nearTies, o.n, refined, o.m)
}

// fusedSearch builds the top-k search of queries q over rows x (cosine or
// dot) and fails the test unless the engine fuses it into one scan_topk
// step; what names the case in the message.
func fusedSearch(t *testing.T, e *engine.Engine, q, x *engine.Array, cosine bool, k int, what any) (vals, idx *engine.Array) {
	t.Helper()
	var scores *engine.Array
	var err error
	if cosine {
		scores, err = engine.Cosine(q, x)
	} else {
		scores, err = engine.MatMul(q, x, false, true)
	}
	if err != nil {
		t.Fatal(err)
	}
	if vals, idx, err = engine.TopK(scores, k, true); err != nil {
		t.Fatal(err)
	}
	p, err := e.Explain(vals, idx)
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Steps) != 1 || p.Steps[0].Op != engine.OpScanTopK {
		t.Fatalf("%+v: the search did not fuse into one scan:\n%s", what, p)
	}
	return vals, idx
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
	vals, idx := fusedSearch(t, e, q, x, c.cosine, c.k, c)
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

// hitsOf reads a search's values and indices back.
func hitsOf(t *testing.T, vals, idx *engine.Array) ([]float32, []int64) {
	t.Helper()
	got, err := vals.Float32()
	if err != nil {
		t.Fatal(err)
	}
	ids, err := idx.Int64()
	if err != nil {
		t.Fatal(err)
	}
	return got, ids
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
	// A large buffer goes back to the driver when freed.
	big, err := b.Alloc(largeBuffer + 12345)
	if err != nil {
		t.Fatal(err)
	}
	if got := b.MemoryInUse() - used; got < largeBuffer || got > largeBuffer+2<<20 {
		t.Errorf("a %d-byte buffer added %d bytes in use; want it sized to 2 MiB", largeBuffer+12345, got)
	}
	b.Free(big)
	if b.MemoryInUse() != used {
		t.Errorf("a freed large buffer stayed with the device: %d bytes in use, %d before", b.MemoryInUse(), used)
	}
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
