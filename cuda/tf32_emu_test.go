package cuda

import (
	"context"
	"encoding/binary"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/silica-go/silica/engine"
)

// TestTF32BoundEmulated runs a whole TF32 search on near ties (nearTies)
// in the emulator: the tensor-core scan (v4 rounds the operands to TF32,
// v5 truncates them) picks each query's kc candidates by TF32 score,
// which miss every one of the exact best rows; then scan_rescore.cu's
// rescore and verify, with the bound mmaScan uses (tf32Bound), must
// refuse them, and the query is searched again exactly (here: the
// float64 answer stands in for the exact row scan, which TestSearchRegimes
// checks on the GPU). A bound smaller than the TF32 error lets verify
// accept the candidates, and the answer is wrong.
func TestTF32BoundEmulated(t *testing.T) {
	t.Parallel() // CPU-bound and long: beside the others, not after them
	cases := []struct {
		name  string
		cfg   v4Config
		trunc bool
		frac  float64
	}{
		{"v4 mma.sync, operands rounded", defaultV4(64), false, 0.5},
		{"v5 wgmma, operands truncated", defaultV5(64, true), true, 1},
	}
	fin := buildEmuMain(t, rescoreVariant(), "scan_finish_main.cpp")
	rng := rand.New(rand.NewPCG(5, 13))
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			o := nearTies{m: 18, d: 36, k: 5, groups: 3, fillers: 20, frac: c.frac}.generate(t, rng)
			scan := buildEmu(t, v4Variant(engine.Float32, "1", c.cfg), c.cfg)
			runTF32Emulated(t, o, scan, fin, c.cfg, tf32Bound(o.d, c.trunc))
		})
	}
}

// runTF32Emulated searches o with the scan program (tiling cfg) and the
// finish program with bound eps, and checks every query that verify
// accepts against the exact answer.
func runTF32Emulated(t *testing.T, o *nearTieData, scan, fin string, cfg v4Config, eps float32) {
	m, n, d, k := o.m, o.n, o.d, o.k
	kc := tf32Candidates(k)
	C := cfg.bufKeys(kc)
	nmt, parts, per := v4Grid(cfg, m, n, 2, C)
	f32 := func(b []byte, v []float32) []byte {
		for _, x := range v {
			b = binary.LittleEndian.AppendUint32(b, math.Float32bits(x))
		}
		return b
	}
	var in []byte
	for _, h := range []int64{int64(m), int64(n), int64(d), int64(per), 0, 1, int64(kc), int64(C), int64(nmt), int64(parts), 1, 0, int64(n), 1, 0, 0} {
		in = binary.LittleEndian.AppendUint64(in, uint64(h))
	}
	in = f32(f32(f32(in, o.q), o.x), make([]float32, m))
	out := runEmu(t, scan, in, m*parts*kc*8+4)
	maxnorm := binary.LittleEndian.Uint32(out[len(out)-4:])

	// Each query's best kc keys of all parts (selectRows), which must miss
	// the planted rows: else TF32 ranked them right and the bound is not
	// tested.
	approx := make([]uint64, 0, m*kc)
	for i := range m {
		keys := make([]uint64, parts*kc)
		for u := range keys {
			keys[u] = binary.LittleEndian.Uint64(out[(i*parts*kc+u)*8:])
		}
		slices.Sort(keys)
		for _, key := range keys[:kc] {
			if r := int(uint32(key)); key != math.MaxUint64 && o.hidden[i][r] {
				t.Fatalf("query %d: the TF32 scan kept row %d, one of the exact best: these are no near ties for it", i, r)
			}
		}
		approx = append(approx, keys[:kc]...)
	}

	refined, wrong := 0, 0
	for i, f := range runFinish(t, fin, d, k, kc, true, eps, maxnorm, o.q, o.x, approx) {
		ok, ids, vals := f.ok, f.ids, f.vals
		if ok == 0 {
			refined++ // searched again by the exact row scan
			continue
		}
		if ok != 1 {
			t.Errorf("query %d: verify wrote ok = %d", i, ok)
		} else if msg := o.check(i, ids, vals); msg != "" {
			if wrong++; wrong <= 3 {
				t.Errorf("query %d: verify accepted its TF32 candidates with the bound eps = %g, but %s", i, eps, msg)
			}
		}
	}
	if wrong > 3 {
		t.Errorf("and %d more queries whose candidates verify accepted are wrong", wrong-3)
	}
	t.Logf("m %d n %d d %d k %d kc %d, grid %dx%d: eps %g, %d of %d queries searched again", m, n, d, k, kc, nmt, parts, eps, refined, m)
}

// finishOut is one query's results of scan_finish_main.cpp.
type finishOut struct {
	vals     []float32
	ids      []int64
	ok       int32 // verify's proof held
	rescored int   // candidates rescore scored
}

// runFinish runs the finish program fin (scan_finish_main.cpp: rescore,
// the best k, verify) on queries q and rows x of length d, each query's
// kc candidates approx best first, with bound eps and the rows' largest
// norm maxnorm (float32 bits), and returns each query's results.
func runFinish(t *testing.T, fin string, d, k, kc int, largest bool, eps float32, maxnorm uint32, q, x []float32, approx []uint64) []finishOut {
	t.Helper()
	m, n := len(q)/d, len(x)/d
	lg := int64(0)
	if largest {
		lg = 1
	}
	var in []byte
	for _, h := range []int64{int64(m), int64(n), int64(d), int64(k), int64(kc), lg} {
		in = binary.LittleEndian.AppendUint64(in, uint64(h))
	}
	in = binary.LittleEndian.AppendUint32(in, math.Float32bits(eps))
	in = binary.LittleEndian.AppendUint32(in, maxnorm)
	qn := make([]float32, m)
	for i := range qn {
		var s float64
		for _, v := range q[i*d : (i+1)*d] {
			s += float64(v) * float64(v)
		}
		qn[i] = float32(math.Sqrt(s))
	}
	for _, v := range slices.Concat(q, x, qn) {
		in = binary.LittleEndian.AppendUint32(in, math.Float32bits(v))
	}
	for _, key := range approx {
		in = binary.LittleEndian.AppendUint64(in, key)
	}
	out := runEmu(t, fin, in, m*k*4+m*k*8+m*4+m*4)
	res := make([]finishOut, m)
	for i := range res {
		f := finishOut{vals: make([]float32, k), ids: make([]int64, k)}
		for j := range k {
			f.vals[j] = math.Float32frombits(binary.LittleEndian.Uint32(out[(i*k+j)*4:]))
			f.ids[j] = int64(binary.LittleEndian.Uint64(out[m*k*4+(i*k+j)*8:]))
		}
		f.ok = int32(binary.LittleEndian.Uint32(out[m*k*12+i*4:]))
		f.rescored = int(binary.LittleEndian.Uint32(out[m*k*12+m*4+i*4:]))
		res[i] = f
	}
	return res
}

// runEmu runs an emulator program on input in and returns its output,
// which must be size bytes.
func runEmu(t *testing.T, exe string, in []byte, size int) []byte {
	t.Helper()
	dir := t.TempDir()
	inPath, outPath := filepath.Join(dir, "in"), filepath.Join(dir, "out")
	if err := os.WriteFile(inPath, in, 0o644); err != nil {
		t.Fatal(err)
	}
	// A block that never passes a barrier (a race that derails the
	// kernel) ends in the timeout, not in a hung test. The bound is loose:
	// a case takes seconds on an idle machine, but CI's exhaustive step
	// once ran one for over 3 minutes on a machine under heavy load.
	ctx, cancel := context.WithTimeout(context.Background(), 8*time.Minute)
	defer cancel()
	if msg, err := exec.CommandContext(ctx, exe, inPath, outPath).CombinedOutput(); err != nil {
		t.Fatalf("emulator %s: %v (%v)\n%s", filepath.Base(exe), err, ctx.Err(), msg)
	}
	out, err := os.ReadFile(outPath)
	if err != nil {
		t.Fatal(err)
	}
	if len(out) != size {
		t.Fatalf("emulator %s wrote %d bytes, want %d", filepath.Base(exe), len(out), size)
	}
	return out
}

// TestRescoreCutoffEmulated runs scan_rescore.cu's rescore and verify in
// the emulator on TF32 scores made as bad as the bound allows: each
// query's exact best k rows are given scores E = tf32Bound * |q| * max|x|
// (99% of it) worse than their exact ones and every other row E better,
// over rows whose scores lie about 200 E apart in all. rescore must skip
// the candidates more than 2E behind the k-th TF32 score (fewer than kc
// rescored) and still return the exact best k: skipping at 0.5E drops
// exact best rows pushed down by the error, and the answer is wrong.
func TestRescoreCutoffEmulated(t *testing.T) {
	fin := buildEmuMain(t, rescoreVariant(), "scan_finish_main.cpp")
	const m, n, d, k = 3, 900, 24, 12
	kc := tf32Candidates(k)
	eps := tf32Bound(d, true)
	rng := rand.New(rand.NewPCG(11, 17))
	for _, largest := range []bool{true, false} {
		dir := make([]float64, d)
		var norm float64
		for j := range dir {
			dir[j] = rng.NormFloat64()
			norm += dir[j] * dir[j]
		}
		for j := range dir {
			dir[j] /= math.Sqrt(norm)
		}
		q := make([]float32, m*d)
		for i, s := range []float64{1, 2.5, 0.4} { // the same direction, three norms
			for j := range d {
				q[i*d+j] = float32(s * dir[j])
			}
		}
		// Row r: alpha along the queries' direction, so that its scores are
		// alpha |q| up to float32's rounding; alphas spread over 200 E.
		x := make([]float32, n*d)
		var xm float32
		for r := range n {
			alpha := 0.3 + 200*float64(eps)*0.31*rng.Float64()
			var ss float64
			for j := range d {
				x[r*d+j] = float32(alpha * dir[j])
				ss += float64(x[r*d+j]) * float64(x[r*d+j])
			}
			xm = max(xm, float32(math.Sqrt(ss)))
		}
		var approx []uint64
		want := make([][]int64, m)
		for i := range m {
			var qs float64
			for _, v := range q[i*d : (i+1)*d] {
				qs += float64(v) * float64(v)
			}
			qn := math.Sqrt(qs)
			e := 0.99 * float64(eps) * float64(float32(qn)) * float64(xm)
			exact := make([]float64, n)
			for r := range n {
				for j := range d {
					exact[r] += float64(q[i*d+j]) * float64(x[r*d+j])
				}
			}
			order := make([]int, n)
			for r := range order {
				order[r] = r
			}
			better := func(a, b float64) bool { return largest && a > b || !largest && a < b }
			slices.SortFunc(order, func(a, b int) int {
				if better(exact[a], exact[b]) {
					return -1
				}
				return 1
			})
			for _, r := range order[:k] {
				want[i] = append(want[i], int64(r))
			}
			keys := make([]uint64, n)
			for u, r := range order {
				v := exact[r] + e // the best k pushed down, the others up
				if u < k == largest {
					v = exact[r] - e
				}
				keys[u] = hostKey(float32(v), largest, r)
			}
			slices.Sort(keys)
			approx = append(approx, keys[:kc]...)
		}
		for i, f := range runFinish(t, fin, d, k, kc, largest, eps, math.Float32bits(xm), q, x, approx) {
			ok, ids, rescored := f.ok, f.ids, f.rescored
			if ok != 1 {
				t.Errorf("largest %v, query %d: verify refused (ok = %d) candidates that hold the best k", largest, i, ok)
			}
			if !slices.Equal(ids, want[i]) {
				t.Errorf("largest %v, query %d: rows %v, want %v (exact best first)", largest, i, ids, want[i])
			}
			if rescored < k || rescored >= kc {
				t.Errorf("largest %v, query %d: %d of %d candidates rescored; want fewer than all, at least k = %d", largest, i, rescored, kc, k)
			}
			t.Logf("largest %v, query %d: %d of %d candidates rescored", largest, i, rescored, kc)
		}
	}
}
