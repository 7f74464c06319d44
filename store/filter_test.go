package store

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/silica-go/silica/engine"
	"github.com/silica-go/silica/engine/backendtest"
)

// TestFilteredSearchShares checks filtered searches against the float64
// reference on the CPU and the device-like backend, every metric and
// dtype, one arena and several: rows of small integers under random int64
// ids, a third of them copies of a few vectors (exact ties across the
// k-th place), some deleted, and filters passing no row, one row, 1%,
// 10%, half and every row, by Where and by AllowIDs, with k from 1 to
// past the passing count. The backends named in SILICA_STORE_BACKENDS
// (cuda on the GPU machine) run the same cases.
func TestFilteredSearchShares(t *testing.T) {
	engines := append([]*engine.Engine{engine.New("cpu", newCPU()), engine.New("device-like", deviceLike{newCPU()})}, backendtest.Named(t, "SILICA_STORE_BACKENDS")...)
	for _, e := range engines {
		defer e.Close()
		for _, m := range allMetrics {
			for _, dt := range allDTypes {
				for _, segRows := range []int{0, 400} {
					t.Run(fmt.Sprintf("%s/%s/%s/%d", e.Name(), m, dt, segRows), func(t *testing.T) {
						filterCase(t, e, m, dt, segRows)
					})
				}
			}
		}
	}
}

func filterCase(t *testing.T, e *engine.Engine, m Metric, dt engine.DType, segRows int) {
	const n, d = 1201, 19
	r := rand.New(rand.NewPCG(uint64(segRows)+3, uint64(m)*5+uint64(dt)))
	s := newStore(t, Options{Dim: d, Metric: m, DType: dt, SegmentRows: segRows, Engine: e})
	small := func() []float32 { return smallInts(r, d, 2) }
	bases := [][]float32{small(), small(), small(), small()}
	want, groups := model{}, tieGroups{}
	ids := randIDs(r, n)
	vecs := make([][]float32, n)
	for i, id := range ids {
		vecs[i] = small()
		if r.IntN(3) == 0 {
			g := r.IntN(len(bases))
			vecs[i] = bases[g]
			groups[g] = append(groups[g], id)
		}
		want[id] = vecs[i]
	}
	for _, g := range groups {
		slices.Sort(g)
	}
	for lo := 0; lo < n; lo += 300 {
		if err := s.Add(ids[lo:min(n, lo+300)], vecs[lo:min(n, lo+300)]); err != nil {
			t.Fatal(err)
		}
	}
	del := ids[50:90] // a few dead rows, under the compaction threshold
	want.del(t, s, del...)
	queries := [][]float32{bases[0], bases[2], small()}
	for _, share := range []float64{0, -1, 0.01, 0.1, 0.5, 1} {
		pass := map[int64]bool{}
		switch {
		case share < 0:
			pass[ids[r.IntN(n)]] = true // perhaps a deleted one
		default:
			for _, id := range ids {
				if r.Float64() < share {
					pass[id] = true
				}
			}
		}
		allow := func(id int64) bool { return pass[id] }
		// Where's predicate never sees a deleted id.
		where := func(id int64) bool {
			if slices.Contains(del, id) {
				t.Errorf("share %g: Where's predicate called with deleted id %d", share, id)
			}
			return pass[id]
		}
		list := make([]int64, 0, len(pass)+1)
		for id := range pass {
			list = append(list, id)
		}
		// An id not in the store: below every stored one, or, for lists
		// long enough for the bitset of bitmaps (denseAllow), above, so
		// that stored ids fall below the set's first.
		extra := int64(-7)
		if share >= 0.1 {
			extra = int64(10*n + 20)
		}
		list = append(list, extra)
		passing := 0
		for id := range want {
			if pass[id] {
				passing++
			}
		}
		for _, f := range []struct {
			name string
			f    Filter
		}{{"where", Where(where)}, {"allow", AllowIDs(list...)}} {
			for _, k := range []int{1, 10, max(1, passing-1), passing + 1, 4096} {
				res, err := s.SearchBatchFiltered(queries, k, f.f)
				if err != nil {
					t.Fatal(err)
				}
				for i, q := range queries {
					what := fmt.Sprintf("share %g (%d pass) %s k=%d query %d", share, passing, f.name, k, i)
					checkHits(t, what, m, dt, want, allow, q, k, res[i])
					checkTies(t, what, groups, want, allow, res[i])
				}
			}
		}
	}
}

// TestFilteredSearchIsOneMaskedScan checks that a filtered search is
// planned as one scan that reads the filter's bitmap and asks for k + 1
// rows, however many rows the filter excludes (no gather of the passing
// rows, no k + excluded).
func TestFilteredSearchIsOneMaskedScan(t *testing.T) {
	for _, m := range allMetrics {
		for _, dt := range allDTypes {
			s := newStore(t, Options{Dim: 16, Metric: m, DType: dt})
			r := rand.New(rand.NewPCG(2, 2))
			ids, err := s.Append(randVectors(r, 1000, 16))
			if err != nil {
				t.Fatal(err)
			}
			p := searchPlan(t, s, randVectors(r, 4, 16), 5, AllowIDs(ids[10:110]...)) // 10% pass
			if len(p.Steps) != 1 || p.Steps[0].Op != engine.OpScanTopK || !p.Steps[0].Attrs.Mask || p.Steps[0].Attrs.K != 6 {
				t.Errorf("%s %s: filtered search plan is not one masked scan_topk step for k+1 = 6:\n%s", m, dt, p)
			}
		}
	}
}

// TestFilteredSearchInfiniteScores checks the rescan of a masked scan
// whose passing rows score as the masked ones do: under L2, rows so large
// that every squared distance overflows to +Inf, the score a masked row
// gets. The scan's first k+1 results may all be masked rows (they tie,
// and the smaller rows come first); the store must still return k hits
// when k pass, the smallest passing ids first.
func TestFilteredSearchInfiniteScores(t *testing.T) {
	const n, d = 700, 8
	r := rand.New(rand.NewPCG(9, 9))
	s := newStore(t, Options{Dim: d, Metric: L2, DType: engine.Float32, SegmentRows: 300})
	ids := randIDs(r, n)
	vecs := make([][]float32, n)
	for i := range vecs {
		vecs[i] = make([]float32, d)
		for j := range vecs[i] {
			vecs[i][j] = 3e19 * float32(1-2*r.IntN(2))
		}
	}
	if err := s.Add(ids, vecs); err != nil {
		t.Fatal(err)
	}
	var pass []int64
	for _, id := range ids[n/2:] { // the rows added last pass, one in 5
		if r.IntN(5) == 0 {
			pass = append(pass, id)
		}
	}
	slices.Sort(pass)
	for _, k := range []int{1, 3, len(pass), len(pass) + 2} {
		hits, err := s.SearchFiltered(make([]float32, d), k, AllowIDs(pass...))
		if err != nil {
			t.Fatal(err)
		}
		if len(hits) != min(k, len(pass)) {
			t.Fatalf("k=%d: %d hits, want %d", k, len(hits), min(k, len(pass)))
		}
		for i, h := range hits {
			if h.ID != pass[i] || !(h.Score > 3e38) {
				t.Fatalf("k=%d: hit %d is %+v, want id %d scored +Inf (ties by id)", k, i, h, pass[i])
			}
		}
	}
}

// TestFilterKeptAcrossWrites searches through one AllowIDs filter, and
// the zero filter, before and after each kind of write: the bitmaps a
// filter keeps for a store (bitmapMemo) must not outlive the rows they
// were made for. Between searches, passing rows are deleted, ids on the
// list that were not stored are added, a passing id is replaced by the
// query itself, and most rows are deleted (the arenas compacted, rows
// renumbered). Each search is checked against the float64 reference, on
// one arena and several, on the CPU, the device-like backend and those
// of SILICA_STORE_BACKENDS.
func TestFilterKeptAcrossWrites(t *testing.T) {
	engines := append([]*engine.Engine{engine.New("cpu", newCPU()), engine.New("device-like", deviceLike{newCPU()})}, backendtest.Named(t, "SILICA_STORE_BACKENDS")...)
	for _, e := range engines {
		defer e.Close()
		for _, dt := range []engine.DType{engine.Float32, engine.Float16} {
			for _, segRows := range []int{0, 300} {
				t.Run(fmt.Sprintf("%s/%s/%d", e.Name(), dt, segRows), func(t *testing.T) {
					filterWritesCase(t, e, dt, segRows)
				})
			}
		}
	}
}

func filterWritesCase(t *testing.T, e *engine.Engine, dt engine.DType, segRows int) {
	const n, d = 977, 13
	r := rand.New(rand.NewPCG(uint64(segRows)+11, uint64(dt)))
	s := newStore(t, Options{Dim: d, Metric: Cosine, DType: dt, SegmentRows: segRows, Engine: e})
	ids := randIDs(r, n+100)
	later := ids[n:] // on the list, stored only later
	ids = ids[:n]
	vecs := randVectors(r, n, d)
	want := model{}
	for i, id := range ids {
		want[id] = vecs[i]
	}
	if err := s.Add(ids, vecs); err != nil {
		t.Fatal(err)
	}
	pass := map[int64]bool{}
	for _, id := range ids {
		if r.IntN(3) == 0 {
			pass[id] = true
		}
	}
	for _, id := range later[:60] {
		pass[id] = true
	}
	list := make([]int64, 0, len(pass))
	for id := range pass {
		list = append(list, id)
	}
	allow := AllowIDs(list...)
	queries := randVectors(r, 3, d)
	search := func(step string) {
		t.Helper()
		for _, f := range []struct {
			name string
			f    Filter
			pass func(int64) bool
		}{{"allow", allow, func(id int64) bool { return pass[id] }}, {"zero", Filter{}, nil}} {
			for _, k := range []int{1, 10, 400} {
				res, err := s.SearchBatchFiltered(queries, k, f.f)
				if err != nil {
					t.Fatal(err)
				}
				for i, q := range queries {
					checkHits(t, fmt.Sprintf("%s: %s k=%d query %d", step, f.name, k, i), Cosine, dt, want, f.pass, q, k, res[i])
				}
			}
		}
	}
	search("first")
	search("again")
	var gone []int64
	for _, id := range ids {
		if pass[id] && len(gone) < 40 {
			gone = append(gone, id)
		}
	}
	want.del(t, s, gone...)
	search("passing rows deleted")
	add := randVectors(r, len(later), d)
	if err := s.Add(later, add); err != nil {
		t.Fatal(err)
	}
	for i, id := range later {
		want[id] = add[i]
	}
	search("listed ids added")
	keep := later[59] // on the list
	if err := s.Add([]int64{keep}, queries[:1]); err != nil {
		t.Fatal(err)
	}
	want[keep] = queries[0]
	search("a passing id replaced by the first query")
	var most []int64
	for id := range want {
		if id != keep && r.IntN(4) != 0 {
			most = append(most, id)
		}
	}
	want.del(t, s, most...)
	search("most rows deleted")
}
