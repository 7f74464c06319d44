package cpu

import (
	"cmp"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/silica-go/silica/engine"
	"github.com/silica-go/silica/half"
)

// scanCase is one fused scan: m queries against n stored rows of width d.
type scanCase struct{ m, n, d, k int }

var scanCases = []scanCase{
	{1, 1, 1, 1}, {1, 5, 7, 3}, {2, 300, 64, 7}, {1, 1031, 131, 10},
	{3, 1031, 131, 1031}, {6, 517, 9, 600}, {1, 2000, 768, 100}, {5, 700, 33, 1},
	{19, 1031, 131, 10}, {9, 2000, 768, 100},
}

// testScanCases is scanCases, less those of a million stored values or
// more with -short: TestArm64Emulated runs the arm64 tests with -short
// unless SILICA_EXHAUSTIVE=1, and under qemu the float64 reference of
// the 768-wide case alone takes most of TestScan's time.
func testScanCases() []scanCase {
	if !testing.Short() {
		return scanCases
	}
	return slices.DeleteFunc(slices.Clone(scanCases), func(c scanCase) bool { return c.n*c.d >= 1<<20 })
}

// storedValues rounds x to what a dtype stores.
func storedValues(dt engine.DType, x []float32) []float64 {
	out := make([]float64, len(x))
	for i, v := range x {
		switch dt {
		case engine.Float16:
			v = half.Round16(v)
		case engine.BFloat16:
			v = half.RoundB16(v)
		}
		out[i] = float64(v)
	}
	return out
}

// storedForm returns the dtype of a stored form's rows and whether they
// are quantized ("int8": float32 rows quantized by the engine).
func storedForm(stored string) (engine.DType, bool) {
	switch stored {
	case "float16":
		return engine.Float16, false
	case "bfloat16":
		return engine.BFloat16, false
	}
	return engine.Float32, stored == "int8"
}

// scanRef scores query row qi against every stored row in float64, with
// the magnitude each score's float32 rounding is relative to.
func scanRef(metric string, q, x []float64, d int) (scores, mags []float64) {
	norm := func(v []float64) float64 {
		var s float64
		for _, e := range v {
			s += e * e
		}
		return max(math.Sqrt(s), NormEps)
	}
	n := len(x) / d
	nq := norm(q)
	for r := range n {
		row := x[r*d : (r+1)*d]
		var dt, l2, mag float64
		for j := range row {
			dt += q[j] * row[j]
			l2 += (q[j] - row[j]) * (q[j] - row[j])
			mag += math.Abs(q[j]*row[j]) + q[j]*q[j] + row[j]*row[j]
		}
		switch metric {
		case "dot":
			scores, mags = append(scores, dt), append(mags, mag)
		case "cosine":
			nr := norm(row)
			scores, mags = append(scores, dt/(nq*nr)), append(mags, mag/(nq*nr))
		case "l2":
			scores, mags = append(scores, l2), append(mags, mag)
		}
	}
	return scores, mags
}

// checkTopK accepts a top-k as FAISS's tests do: indices valid and
// distinct, each value its row's reference score, the values in order and
// equal rank by rank to the reference's best k (so ties may resolve to
// either row).
func checkTopK(t *testing.T, name string, largest bool, vals []float32, idx []int64, ref, mags []float64) {
	t.Helper()
	const tol = 1e-5
	seen := map[int64]bool{}
	best := slices.Clone(ref)
	slices.Sort(best)
	if largest {
		slices.Reverse(best)
	}
	for r, i := range idx {
		if i < 0 || int(i) >= len(ref) || seen[i] {
			t.Fatalf("%s: rank %d: index %d invalid or repeated (n = %d)", name, r, i, len(ref))
		}
		seen[i] = true
		if e := math.Abs(float64(vals[r]) - ref[i]); e > tol*mags[i] {
			t.Fatalf("%s: rank %d row %d: value %v, reference %v (error %.3g, bound %.3g)", name, r, i, vals[r], ref[i], e, tol*mags[i])
		}
		if e := math.Abs(float64(vals[r]) - best[r]); e > tol*mags[i] {
			t.Fatalf("%s: rank %d: value %v, but the reference's rank %d is %v", name, r, vals[r], r, best[r])
		}
		if r > 0 && (largest && vals[r] > vals[r-1] || !largest && vals[r] < vals[r-1]) {
			t.Fatalf("%s: ranks %d and %d out of order: %v, %v", name, r-1, r, vals[r-1], vals[r])
		}
	}
}

// runScan builds the scan of metric over q and x (x quantized when
// quant), checks that the engine fused it into one OpScanTopK, runs it and
// returns values, indices and the stored rows as float64.
func runScan(t *testing.T, b *Backend, metric string, dt engine.DType, quant bool, c scanCase, qv, xv []float32) ([]float32, []int64, []float64, []float64) {
	t.Helper()
	e := engine.New("cpu", b)
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	qa, err := e.FromFloat32As(qv, dt, c.m, c.d)
	must(err)
	xa, err := e.FromFloat32As(xv, dt, c.n, c.d)
	must(err)
	stored := storedValues(dt, xv)
	if quant {
		qx, scales, err := engine.Quantize(xa)
		must(err)
		must(e.Eval(qx, scales))
		raw, err := qx.Bytes()
		must(err)
		sc, err := scales.Float32()
		must(err)
		for i := range stored {
			stored[i] = float64(float32(int8(raw[i])) * sc[i/c.d])
		}
		xa, err = engine.Dequantize(qx, scales)
		must(err)
	}
	var s *engine.Array
	switch metric {
	case "dot":
		s, err = engine.MatMul(qa, xa, false, true)
	case "cosine":
		s, err = engine.Cosine(qa, xa)
	case "l2":
		s, err = engine.L2Distance(qa, xa)
	}
	must(err)
	vals, idx, err := engine.TopK(s, c.k, metric != "l2")
	must(err)
	p, err := e.Explain(vals, idx)
	must(err)
	if len(p.Steps) != 1 || p.Steps[0].Op != engine.OpScanTopK || p.Steps[0].Attrs.Quantize != quant {
		t.Fatalf("not one fused scan:\n%s", p)
	}
	v, err := vals.Float32()
	must(err)
	i, err := idx.Int64()
	must(err)
	return v, i, storedValues(dt, qv), stored
}

// TestScan checks the fused scan for every metric and stored form, with
// the direct row kernels (one or two queries) and the block path (more),
// split among more workers than this machine has cores.
func TestScan(t *testing.T) {
	bothKernelSets(t, func(t *testing.T) {
		r := rand.New(rand.NewPCG(5, 5))
		for _, stored := range []string{"float32", "float16", "bfloat16", "int8"} {
			dt, quant := storedForm(stored)
			for _, metric := range []string{"dot", "cosine", "l2"} {
				for ci, c := range testScanCases() {
					qv, xv := make([]float32, c.m*c.d), make([]float32, c.n*c.d)
					normals(r, qv)
					normals(r, xv)
					b := &Backend{workers: 1 + ci%4}
					vals, idx, q, x := runScan(t, b, metric, dt, quant, c, qv, xv)
					k := min(c.k, c.n)
					for i := range c.m {
						ref, mags := scanRef(metric, q[i*c.d:(i+1)*c.d], x, c.d)
						name := fmt.Sprintf("%s %s %+v query %d", stored, metric, c, i)
						checkTopK(t, name, metric != "l2", vals[i*k:(i+1)*k], idx[i*k:(i+1)*k], ref, mags)
					}
				}
			}
		}
	})
}

// TestScanPoisonedScratch checks that the scan writes every output
// element: the outputs are allocated from buffers filled with 0xff first.
func TestScanWritesEveryOutput(t *testing.T) {
	c := scanCase{3, 257, 19, 40}
	r := rand.New(rand.NewPCG(6, 6))
	qv, xv := make([]float32, c.m*c.d), make([]float32, c.n*c.d)
	normals(r, qv)
	normals(r, xv)
	b := poisoned(2)
	vals, idx, q, x := runScan(t, b, "cosine", engine.Float32, false, c, qv, xv)
	for i := range c.m {
		ref, mags := scanRef("cosine", q[i*c.d:(i+1)*c.d], x, c.d)
		checkTopK(t, fmt.Sprintf("query %d", i), true, vals[i*c.k:(i+1)*c.k], idx[i*c.k:(i+1)*c.k], ref, mags)
	}
	if strings.Contains(fmt.Sprint(vals), "NaN") {
		t.Fatal("NaN in the output: an element was not written")
	}
}

// TestScanBatchInvariant checks that a query's results do not depend on
// the other queries of its scan: one query alone (the direct row kernels)
// and the same query among thirteen (the tile path: a block of eight and
// one of five with AVX-512) give the same values, bit for bit, and the
// same rows.
func TestScanBatchInvariant(t *testing.T) {
	bothKernelSets(t, func(t *testing.T) {
		r := rand.New(rand.NewPCG(13, 13))
		for _, stored := range []string{"float32", "float16", "bfloat16", "int8"} {
			dt, quant := storedForm(stored)
			for _, metric := range []string{"dot", "cosine", "l2"} {
				one, five := scanCase{1, 333, 77, 20}, scanCase{13, 333, 77, 20}
				qv, xv := make([]float32, five.m*five.d), make([]float32, five.n*five.d)
				normals(r, qv)
				normals(r, xv)
				b := &Backend{workers: 2}
				v5, i5, _, _ := runScan(t, b, metric, dt, quant, five, qv, xv)
				for qi := range five.m {
					v1, i1, _, _ := runScan(t, b, metric, dt, quant, one, qv[qi*one.d:(qi+1)*one.d], xv)
					for k := range one.k {
						if math.Float32bits(v1[k]) != math.Float32bits(v5[qi*one.k+k]) || i1[k] != i5[qi*one.k+k] {
							t.Fatalf("%s %s query %d rank %d: alone %v (row %d), among %d %v (row %d)",
								stored, metric, qi, k, v1[k], i1[k], five.m, v5[qi*one.k+k], i5[qi*one.k+k])
						}
					}
				}
			}
		}
	})
}

// TestMaskedScanWorstTies checks the masked scan of one query's float32
// dot products (direct, which reads only the passing rows) where passing
// rows score the worst themselves: their products overflow to -Inf. A
// failing row scores -Inf too (OpMaskRows), and ties
// go to the smaller row, so the failing rows among the first must come
// back beside the passing ones: the scan must not take the passing rows
// for k rows ahead of every failing one.
func TestMaskedScanWorstTies(t *testing.T) {
	const n, d, k = 301, 8, 20
	r := rand.New(rand.NewPCG(9, 31))
	q := make([]float32, d)
	for i := range q {
		q[i] = 1e30
	}
	x := make([]float32, n*d)
	finite := []int{150, 153, 156, 159, 162} // passing rows of finite scores
	words := make([]int32, (n+31)/32)
	for row := range n {
		pass := row%3 == 0
		if pass {
			words[row/32] |= 1 << (row % 32)
		}
		for i := range d {
			switch {
			case slices.Contains(finite, row):
				x[row*d+i] = float32(r.NormFloat64()) * 1e-30
			case pass:
				x[row*d+i] = -1e30 // the product overflows: -Inf
			default:
				x[row*d+i] = float32(r.NormFloat64())
			}
		}
	}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	e := engine.New("cpu", poisoned(2))
	qa, err := e.FromFloat32(q, 1, d)
	must(err)
	xa, err := e.FromFloat32(x, n, d)
	must(err)
	bits, err := e.FromInt32(words, len(words))
	must(err)
	s, err := engine.MatMul(qa, xa, false, true)
	must(err)
	s, err = engine.MaskRows(s, bits, true)
	must(err)
	vals, idx, err := engine.TopK(s, k, true)
	must(err)
	v, err := vals.Float32()
	must(err)
	got, err := idx.Int64()
	must(err)
	// The finite rows by score, then rows 0, 1, 2, ... (all -Inf).
	want := slices.Clone(finite)
	score := func(row int) float64 {
		var sum float64
		for i := range d {
			sum += float64(q[i]) * float64(x[row*d+i])
		}
		return sum
	}
	slices.SortFunc(want, func(a, b int) int { return cmp.Compare(score(b), score(a)) })
	for row := 0; len(want) < k; row++ {
		want = append(want, row)
	}
	for i := range k {
		if got[i] != int64(want[i]) {
			t.Fatalf("rows %v (scores %v); want %v", got, v, want)
		}
	}
	if !math.IsInf(float64(v[k-1]), -1) {
		t.Fatalf("the last score %v; want -Inf", v[k-1])
	}
}
