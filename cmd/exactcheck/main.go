// Command exactcheck checks the store's search answers against float64,
// through the public API only, on data chosen to be awkward: ids drawn at
// random from all of int64 (not 0..N-1) and added in uneven batches,
// exact duplicate rows (ties that cross the k-th place), queries near
// stored rows, deletes and upserts between the adds, k up to 4096.
//
// For every query and k it checks that
//   - the store returns min(k, Len) distinct live ids;
//   - each hit's score is its id's float64 score (within a tolerance for
//     the dtype: the query and rows rounded to float16, float32 sums);
//   - hits are in order, and hits of equal score come smaller id first;
//   - no id scoring clearly better than the k-th best float64 score is
//     missing, and no hit scores clearly worse;
//
// and it counts the queries whose id set equals the float64 top k exactly
// (ties broken by the smaller id), which near-ties within float32's
// rounding may legitimately break. Each search runs twice; both times are
// printed, so that a fresh process shows what its first use of a kernel
// costs. It exits 1 on any violation.
//
//	go run ./cmd/exactcheck [-backend cuda] [-rows 200000] [-dim 768] [-queries 32]
//	    [-k 1,10,100,1000,4096] [-dtypes f32,f16] [-metrics cosine,dot,l2]
package main

import (
	"flag"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	_ "github.com/silica-go/silica/backends"
	"github.com/silica-go/silica/engine"
	"github.com/silica-go/silica/half"
	"github.com/silica-go/silica/internal/par"
	"github.com/silica-go/silica/store"
)

func main() {
	cfg := config{}
	flag.StringVar(&cfg.backend, "backend", "", "engine backend (empty: engine.Default)")
	flag.IntVar(&cfg.rows, "rows", 200000, "rows added before deletes (about 3% more come after)")
	flag.IntVar(&cfg.dim, "dim", 768, "vector length")
	flag.IntVar(&cfg.queries, "queries", 32, "queries per search batch")
	ks := flag.String("k", "1,10,100,1000,4096", "values of k")
	dts := flag.String("dtypes", "f32,f16", "storage dtypes")
	ms := flag.String("metrics", "cosine,dot,l2", "metrics")
	flag.Uint64Var(&cfg.seed, "seed", 0, "seed (0: from the clock; printed)")
	flag.Parse()
	if err := cfg.parse(*ks, *dts, *ms); err != nil {
		fmt.Fprintln(os.Stderr, "exactcheck:", err)
		os.Exit(2)
	}
	bad, err := run(cfg, os.Stdout)
	if err != nil {
		fmt.Fprintln(os.Stderr, "exactcheck:", err)
		os.Exit(2)
	}
	if bad > 0 {
		fmt.Printf("FAIL: %d violations\n", bad)
		os.Exit(1)
	}
	fmt.Println("ok: every answer exact within the tolerances")
}

type config struct {
	backend            string
	rows, dim, queries int
	seed               uint64
	ks                 []int
	dtypes             []engine.DType
	metrics            []store.Metric
}

func (c *config) parse(ks, dts, ms string) error {
	if c.rows < 1 || c.dim < 1 || c.queries < 1 {
		return fmt.Errorf("-rows, -dim and -queries must be positive")
	}
	if c.seed == 0 {
		c.seed = uint64(time.Now().UnixNano())
	}
	for _, f := range strings.Split(ks, ",") {
		k, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || k < 1 {
			return fmt.Errorf("-k: %q is not a positive integer", f)
		}
		c.ks = append(c.ks, k)
	}
	for _, f := range strings.Split(dts, ",") {
		dt, err := store.ParseDType(f)
		if err != nil {
			return err
		}
		if dt == engine.Int8 {
			return fmt.Errorf("-dtypes: int8 is approximate by design (its recall is bounded by the store's tests)")
		}
		c.dtypes = append(c.dtypes, dt)
	}
	for _, f := range strings.Split(ms, ",") {
		m, err := store.ParseMetric(f)
		if err != nil {
			return err
		}
		c.metrics = append(c.metrics, m)
	}
	return nil
}

// run checks every dtype and metric and returns the number of violations.
func run(c config, out *os.File) (int, error) {
	fmt.Fprintf(out, "exactcheck: seed %d, %d rows x %d, %d queries, k %v\n", c.seed, c.rows, c.dim, c.queries, c.ks)
	bad := 0
	for _, dt := range c.dtypes {
		for _, m := range c.metrics {
			n, err := check(c, dt, m, out)
			if err != nil {
				return bad, fmt.Errorf("%s %s: %w", dt, m, err)
			}
			bad += n
		}
	}
	return bad, nil
}

// data is what the store should hold: live rows by id, as added.
type data struct {
	dim  int
	rows map[int64][]float32
}

func check(c config, dt engine.DType, m store.Metric, out *os.File) (int, error) {
	rng := rand.New(rand.NewPCG(c.seed, uint64(dt)<<8|uint64(m)))
	s, err := store.New(store.Options{Dim: c.dim, Metric: m, DType: dt, Backend: c.backend})
	if err != nil {
		return 0, err
	}
	defer s.Close()
	d := &data{dim: c.dim, rows: map[int64][]float32{}}
	start := time.Now()
	if err := fill(s, d, c.rows, rng); err != nil {
		return 0, err
	}
	if s.Len() != len(d.rows) {
		return 0, fmt.Errorf("store holds %d rows, want %d", s.Len(), len(d.rows))
	}
	fmt.Fprintf(out, "%s %s on %s: %d live rows after adds, deletes and upserts (%.1f s)\n",
		dt, m, s.Engine().Name(), len(d.rows), time.Since(start).Seconds())
	queries := makeQueries(d, c.queries, rng)
	ref := newReference(d, dt, m)
	ranks := make([]*ranking, len(queries))
	parallel(len(queries), func(i int) { ranks[i] = ref.rank(queries[i]) })
	bad := 0
	for _, k := range c.ks {
		t := time.Now()
		hits, err := s.SearchBatch(queries, k)
		if err != nil {
			return bad, fmt.Errorf("search k=%d: %w", k, err)
		}
		first := time.Since(t)
		// The same search again: the first pays any compilation (first
		// use), the second is the steady state.
		t = time.Now()
		if _, err := s.SearchBatch(queries, k); err != nil {
			return bad, fmt.Errorf("search k=%d again: %w", k, err)
		}
		second := time.Since(t)
		exact, viol := 0, 0
		for i := range queries {
			e, errs := ref.check(ranks[i], hits[i], k)
			if e {
				exact++
			}
			for _, err := range errs {
				if viol < 3 {
					fmt.Fprintf(out, "  k=%d query %d: %v\n", k, i, err)
				}
				viol++
			}
		}
		fmt.Fprintf(out, "  k=%-5d %d queries: %d violations, %d with the float64 id set exactly (search %.1f ms first, %.1f ms second)\n",
			k, len(queries), viol, exact, ms(first), ms(second))
		bad += viol
	}
	return bad, nil
}

// fill adds about rows rows in uneven batches under random int64 ids, one
// row in fifty an exact copy of an earlier one, then deletes 2% and
// upserts 1% (new vectors under existing ids), then adds 3% more.
func fill(s *store.Store, d *data, rows int, rng *rand.Rand) error {
	var all []int64
	add := func(n int, upsert []int64) error {
		ids := make([]int64, 0, n+len(upsert))
		flat := make([]float32, 0, (n+len(upsert))*d.dim)
		batch := map[int64]bool{}
		for _, id := range upsert {
			batch[id] = true
		}
		for range n {
			id := int64(rng.Uint64()) // any int64, negative ones too
			for d.rows[id] != nil || batch[id] {
				id = int64(rng.Uint64())
			}
			batch[id] = true
			ids = append(ids, id)
		}
		ids = append(ids, upsert...)
		for range ids {
			var v []float32
			if len(all) > 0 && rng.IntN(50) == 0 {
				v = slices.Clone(d.rows[all[rng.IntN(len(all))]])
			}
			if v == nil {
				v = randomRow(d.dim, rng)
			}
			flat = append(flat, v...)
		}
		if err := s.AddFlat(ids, flat); err != nil {
			return err
		}
		for i, id := range ids {
			if d.rows[id] == nil {
				all = append(all, id)
			}
			d.rows[id] = flat[i*d.dim : (i+1)*d.dim : (i+1)*d.dim]
		}
		return nil
	}
	for left := rows; left > 0; {
		n := min(left, 1+rng.IntN(max(rows/3, 1)))
		if err := add(n, nil); err != nil {
			return err
		}
		left -= n
	}
	var del []int64
	for _, id := range all {
		if rng.IntN(50) == 0 {
			del = append(del, id)
		}
	}
	if n, err := s.Delete(del...); err != nil || n != len(del) {
		return fmt.Errorf("delete %d ids: deleted %d, %v", len(del), n, err)
	}
	for _, id := range del {
		delete(d.rows, id)
	}
	all = slices.DeleteFunc(all, func(id int64) bool { return d.rows[id] == nil })
	var up []int64
	for _, id := range all {
		if rng.IntN(100) == 0 {
			up = append(up, id)
		}
	}
	return add(max(rows*3/100, 1), up)
}

func randomRow(dim int, rng *rand.Rand) []float32 {
	v := make([]float32, dim)
	for j := range v {
		v[j] = float32(rng.NormFloat64())
	}
	return v
}

// makeQueries returns n queries: half stored rows plus a little noise
// (their neighbourhoods are dense with near ties), half random.
func makeQueries(d *data, n int, rng *rand.Rand) [][]float32 {
	ids := make([]int64, 0, len(d.rows))
	for id := range d.rows {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	q := make([][]float32, n)
	for i := range q {
		q[i] = randomRow(d.dim, rng)
		if i%2 == 0 {
			row := d.rows[ids[rng.IntN(len(ids))]]
			for j := range q[i] {
				q[i][j] = row[j] + 0.05*q[i][j]
			}
		}
	}
	return q
}

// reference scores queries in float64 against the rows as the store keeps
// them: normalized under Cosine, rounded to float16 for float16 storage.
type reference struct {
	ids     []int64
	index   map[int64]int // row of each id
	rows    [][]float64
	dt      engine.DType
	m       store.Metric
	maxNorm float64
}

func newReference(d *data, dt engine.DType, m store.Metric) *reference {
	r := &reference{dt: dt, m: m}
	for id := range d.rows {
		r.ids = append(r.ids, id)
	}
	slices.Sort(r.ids)
	r.index = make(map[int64]int, len(r.ids))
	for i, id := range r.ids {
		r.index[id] = i
	}
	r.rows = make([][]float64, len(r.ids))
	parallel(len(r.ids), func(i int) {
		r.rows[i] = r.prepare(d.rows[r.ids[i]])
	})
	for _, row := range r.rows {
		r.maxNorm = max(r.maxNorm, norm(row))
	}
	return r
}

// prepare returns v as the store holds it (rows) or scans with it
// (queries): normalized under Cosine, then rounded to the dtype.
func (r *reference) prepare(v []float32) []float64 {
	out := make([]float64, len(v))
	for j, x := range v {
		out[j] = float64(x)
	}
	if r.m == store.Cosine {
		n := norm(out)
		for j := range out {
			out[j] /= n
		}
	}
	if r.dt == engine.Float16 {
		for j, x := range out {
			out[j] = float64(half.Round16(float32(x)))
		}
	}
	return out
}

func (r *reference) score(q, row []float64) float64 {
	var s float64
	for j := range q {
		if r.m == store.L2 {
			t := q[j] - row[j]
			s += t * t
		} else {
			s += q[j] * row[j]
		}
	}
	return s
}

// better reports whether score a ranks before b.
func (r *reference) better(a, b float64) bool {
	if r.m == store.L2 {
		return a < b
	}
	return a > b
}

// ranking is the float64 answer for one query: every row's score, and
// the rows best first, ties by the smaller id.
type ranking struct {
	scores []float64
	order  []int
	eps    float64 // the tolerance of a score
}

func (r *reference) rank(q0 []float32) *ranking {
	q := r.prepare(q0)
	scores := make([]float64, len(r.ids))
	for i, row := range r.rows {
		scores[i] = r.score(q, row)
	}
	order := make([]int, len(scores))
	for i := range order {
		order[i] = i
	}
	slices.SortFunc(order, func(a, b int) int {
		switch {
		case r.better(scores[a], scores[b]):
			return -1
		case r.better(scores[b], scores[a]):
			return 1
		}
		return cmp64(r.ids[a], r.ids[b])
	})
	// The tolerance: float32 sums of dim products (the query rounded to
	// float16 too under float16), relative to the largest score reachable.
	scale := norm(q) * r.maxNorm
	if r.m == store.L2 {
		scale = (norm(q) + r.maxNorm) * (norm(q) + r.maxNorm)
	}
	eps := 1e-5 * scale
	if r.dt == engine.Float16 {
		eps = 2e-3 * scale
	}
	return &ranking{scores: scores, order: order, eps: eps}
}

// check compares hits for k with the float64 ranking: it reports whether
// the id set is exactly the float64 top k, and every violation.
func (r *reference) check(rk *ranking, hits []store.Hit, k int) (bool, []error) {
	scores, order, eps := rk.scores, rk.order, rk.eps
	want := min(k, len(order))
	var errs []error
	if len(hits) != want {
		return false, []error{fmt.Errorf("%d hits, want %d", len(hits), want)}
	}
	seen := map[int64]bool{}
	kth := scores[order[want-1]]
	for j, h := range hits {
		i, ok := r.index[h.ID]
		if !ok || seen[h.ID] {
			errs = append(errs, fmt.Errorf("hit %d: id %d is not a live row or is repeated", j, h.ID))
			continue
		}
		seen[h.ID] = true
		if math.Abs(float64(h.Score)-scores[i]) > eps {
			errs = append(errs, fmt.Errorf("hit %d: id %d scored %g, float64 says %g (tolerance %.2g)", j, h.ID, h.Score, scores[i], eps))
		}
		if r.better(kth, scores[i]) && math.Abs(kth-scores[i]) > eps {
			errs = append(errs, fmt.Errorf("hit %d: id %d scores %g, clearly worse than the %d-th best %g", j, h.ID, scores[i], want, kth))
		}
		if j > 0 {
			p := hits[j-1]
			if r.better(float64(h.Score), float64(p.Score)) || h.Score == p.Score && h.ID < p.ID {
				errs = append(errs, fmt.Errorf("hits %d and %d out of order: (%d, %g) then (%d, %g)", j-1, j, p.ID, p.Score, h.ID, h.Score))
			}
		}
	}
	exact := true
	for _, i := range order[:want] {
		if !seen[r.ids[i]] {
			exact = false
			if r.better(scores[i], kth) && math.Abs(kth-scores[i]) > eps {
				errs = append(errs, fmt.Errorf("id %d (score %g) is missing, clearly better than the %d-th best %g", r.ids[i], scores[i], want, kth))
			}
		}
	}
	return exact, errs
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

func norm(x []float64) float64 {
	var s float64
	for _, v := range x {
		s += v * v
	}
	return math.Sqrt(s)
}

func cmp64(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// parallel runs f(0..n-1) on every core.
func parallel(n int, f func(i int)) {
	par.Chunks(n, 1, func(lo, _ int) { f(lo) })
}
