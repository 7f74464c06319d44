package cuda

import (
	"fmt"
	"math"
	"math/rand/v2"
	"sort"
	"testing"
)

// nearTies describes a float32 search whose exact answer is unambiguous
// but whose TF32 scores rank it wrongly: the exact best k rows of every
// query score below many other rows in TF32, so a TF32 scan keeps none of
// them among its kc = tf32Candidates(k) candidates, and only the error
// bound (tf32Bound) stands between the search and a wrong answer.
//
// The queries fall into groups; a group owns 4 dimensions of its own, and
// its queries and rows are zero elsewhere, so a row of another group
// scores 0. On its dimensions a query is s(1 + g u) (u = 2^-10, one TF32
// unit of a value in [1, 2); s a power of two; g < frac) and a row
// 1 + (h + l) u, h whole, l < frac: TF32 keeps 1 + h u and drops l (both
// rounded to nearest and truncated when frac <= 0.5; truncated only when
// frac is up to 1). A group has three kinds of rows:
//   - k hidden rows, h = 0: TF32 score 4s, exact 4s + s u (sum g + sum l)
//     with sum l near 4 frac, k values spaced apart: the answer;
//   - kc+7 decoys, h = 1 on one dimension: TF32 score 4s + s u, exact
//     4s + s u (sum g + 1 + sum l), below every hidden row by at least
//     0.1 s u, yet the best of them above their TF32 score by about
//     s u (sum g + sum l): 2.6 s u for frac 0.5, 6.3 for frac 1 (k 5),
//     where the bound is 4.25 s u (rounded) or 8.25 (truncated);
//   - fillers, every value in [0.25, 0.75]: scores below 3s.
//
// A verify that uses a bound below about 0.6 of the true one (rounded;
// 0.75 truncated, which catches the rounded bound used for truncated
// operands) accepts the decoys and returns them; the true bound, which
// the hidden rows' TF32 error of up to 3.9 s u (7.7 truncated) nearly
// reaches, refuses them.
type nearTies struct {
	m, d, k int     // queries, row length (a multiple of 4), k
	groups  int     // query groups (4 dimensions each, 4 groups <= d)
	fillers int     // filler rows a group, at least (up to twice as many)
	frac    float64 // the most an operand drops, in TF32 units: 0.5 or 1
}

// nearTieData is a generated nearTies search.
type nearTieData struct {
	nearTies
	n      int
	q, x   []float32   // [m][d], [n][d]
	ref    [][]float64 // float64 scores [m][n]
	want   [][]int     // each query's best k rows, best first
	tol    []float64   // each query's tolerance on a float32 score
	hidden []map[int]bool
}

// tf32Unit is u, the spacing of TF32 values in [1, 2).
const tf32Unit = 0x1p-10

// generate draws the search and checks, in float64, that its answer is
// what was planted: the hidden rows in order, each score at least 4 tol
// from the next.
func (s nearTies) generate(t testing.TB, rng *rand.Rand) *nearTieData {
	t.Helper()
	const dims = 4
	if s.d%4 != 0 || s.d < dims*s.groups || s.frac <= 0 || s.frac > 1 {
		t.Fatalf("nearTies %+v: d must be a multiple of 4, at least 4 a group; frac in (0, 1]", s)
	}
	// val is 1 + (h + l) u: l's part sits in the 13 bits TF32 drops, below
	// frac of them (l < 0.98 frac).
	val := func(h int, l float64) float32 {
		low := math.Floor(l * 8192)
		return float32(1 + float64(h)*tf32Unit + low*0x1p-23)
	}
	kc := tf32Candidates(s.k)
	perm := rng.Perm(s.d)
	type row struct {
		g      int
		v      [dims]float32
		hidden int // rank among the group's hidden rows, or -1
	}
	var rows []row
	const step = 0.02                           // between hidden rows, in units of s u
	top := 0.98 * dims * s.frac                 // sum l of the best hidden row
	most := top - float64(s.k-1)*step - 1 - 0.1 // a decoy's sum l, at most
	if most < 0 {
		t.Fatalf("nearTies %+v: k too large for frac", s)
	}
	for g := range s.groups {
		for h := range s.k {
			r := row{g: g, hidden: h}
			for j := range r.v {
				r.v[j] = val(0, (top-float64(h)*step)/dims)
			}
			rows = append(rows, r)
		}
		for range kc + 7 {
			r := row{g: g, hidden: -1}
			one, l := rng.IntN(dims), most*rng.Float64()/dims
			for j := range r.v {
				r.v[j] = val(0, l)
				if j == one {
					r.v[j] = val(1, l)
				}
			}
			rows = append(rows, r)
		}
		for range s.fillers + rng.IntN(s.fillers+1) {
			r := row{g: g, hidden: -1}
			for j := range r.v {
				r.v[j] = float32(0.25 + 0.5*rng.Float64())
			}
			rows = append(rows, r)
		}
	}
	o := &nearTieData{nearTies: s, n: len(rows)}
	o.x = make([]float32, o.n*s.d)
	o.want = make([][]int, s.m)
	o.hidden = make([]map[int]bool, s.m)
	byGroup := make([][]int, s.groups)
	for g := range byGroup {
		byGroup[g] = make([]int, s.k)
	}
	for r, p := range rng.Perm(o.n) {
		w := rows[p]
		for j, v := range w.v {
			o.x[r*s.d+perm[w.g*dims+j]] = v
		}
		if w.hidden >= 0 {
			byGroup[w.g][w.hidden] = r
		}
	}
	o.q = make([]float32, s.m*s.d)
	for i := range s.m {
		g := i % s.groups
		scale := math.Ldexp(1, rng.IntN(4)-1)
		for j := range dims {
			o.q[i*s.d+perm[g*dims+j]] = float32(scale) * val(0, (0.9+0.08*rng.Float64())*s.frac)
		}
		o.want[i] = byGroup[g]
		o.hidden[i] = map[int]bool{}
		for _, r := range byGroup[g] {
			o.hidden[i][r] = true
		}
	}
	o.ref = make([][]float64, s.m)
	o.tol = make([]float64, s.m)
	for i := range s.m {
		o.ref[i] = make([]float64, o.n)
		var most float64 // the largest sum |q_j x_j|
		for r := range o.n {
			var dot, abs float64
			for j := range s.d {
				p := float64(o.q[i*s.d+j]) * float64(o.x[r*s.d+j])
				dot += p
				abs += math.Abs(p)
			}
			o.ref[i][r] = dot
			most = max(most, abs)
		}
		// A float32 dot product of 4 nonzero terms, in any order, and
		// its scaling: a few roundings of 2^-24 each.
		o.tol[i] = 2 * (dims + 1) * 0x1p-24 * most
		order := make([]int, o.n)
		for r := range order {
			order[r] = r
		}
		sort.Slice(order, func(a, b int) bool { return o.ref[i][order[a]] > o.ref[i][order[b]] })
		for j := range s.k + 1 {
			if j < s.k && order[j] != o.want[i][j] {
				t.Fatalf("nearTies %+v query %d: exact rank %d is row %d (%g), the planted row is %d (%g)",
					s, i, j, order[j], o.ref[i][order[j]], o.want[i][j], o.ref[i][o.want[i][j]])
			}
			if j > 0 {
				if gap := o.ref[i][order[j-1]] - o.ref[i][order[j]]; gap < 4*o.tol[i] {
					t.Fatalf("nearTies %+v query %d: ranks %d and %d only %g apart, tolerance %g", s, i, j, j+1, gap, o.tol[i])
				}
			}
		}
	}
	return o
}

// check returns what is wrong with a query's result (ids and scores, best
// first), or "" when it is the exact answer.
func (o *nearTieData) check(i int, ids []int64, vals []float32) string {
	for j, id := range ids {
		want := o.want[i][j]
		if id != int64(want) {
			got := math.NaN()
			if id >= 0 && id < int64(o.n) {
				got = o.ref[i][id]
			}
			return fmt.Sprintf("rank %d is row %d (exact score %.9g), want row %d (%.9g)", j+1, id, got, want, o.ref[i][want])
		}
		if d := math.Abs(float64(vals[j]) - o.ref[i][want]); d > o.tol[i] {
			return fmt.Sprintf("rank %d, row %d: score %.9g, exact %.9g (off by %.3g, tolerance %.3g)", j+1, id, vals[j], o.ref[i][want], d, o.tol[i])
		}
	}
	return ""
}

// TestNearTies checks the near ties the GPU and emulator tests search
// (the same specs): in TF32, rounded (frac 0.5) and truncated, every
// query's exact best rows rank below at least kc others, so a TF32 scan
// keeps none of them; the answer itself generate checks in float64.
func TestNearTies(t *testing.T) {
	specs := []nearTies{
		{m: 40, d: 100, k: 20, groups: 8, fillers: 250, frac: 0.5}, // TestSearchRefine
		{m: 33, d: 64, k: 5, groups: 5, fillers: 100, frac: 0.5},   // TestTF32Bound
		{m: 33, d: 64, k: 5, groups: 5, fillers: 100, frac: 1},
		{m: 18, d: 36, k: 5, groups: 3, fillers: 20, frac: 0.5}, // TestTF32BoundEmulated
		{m: 18, d: 36, k: 5, groups: 3, fillers: 20, frac: 1},
	}
	// rna is cvt.rna.tf32.f32 (mma.sync), trunc wgmma's reading of float32.
	rna := func(v float32) float64 {
		return float64(math.Float32frombits((math.Float32bits(v) + 0x1000) &^ 0x1fff))
	}
	trunc := func(v float32) float64 { return float64(math.Float32frombits(math.Float32bits(v) &^ 0x1fff)) }
	rng := rand.New(rand.NewPCG(1, 2))
	for _, s := range specs {
		o := s.generate(t, rng)
		kc := tf32Candidates(s.k)
		convs := []func(float32) float64{trunc}
		if s.frac <= 0.5 {
			convs = append(convs, rna)
		}
		for ci, conv := range convs {
			for i := range s.m {
				tf := make([]float64, o.n)
				for r := range o.n {
					for j := range s.d {
						tf[r] += conv(o.q[i*s.d+j]) * conv(o.x[r*s.d+j])
					}
				}
				for _, h := range o.want[i] {
					above := 0
					for r := range o.n {
						if tf[r] > tf[h] {
							above++
						}
					}
					if above < kc {
						t.Fatalf("%+v conversion %d query %d: row %d, an exact best, ranks %d in TF32, among the %d candidates", s, ci, i, h, above+1, kc)
					}
				}
			}
		}
		t.Logf("%+v: n %d, every exact best row below %d others in TF32", s, o.n, kc)
	}
}
