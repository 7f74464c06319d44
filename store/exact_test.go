package store

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/silica-go/silica/engine"
	"github.com/silica-go/silica/internal/testenv"
)

// tieGroups is the rows of a test store that are copies of one vector:
// their scores tie exactly, so the store must return the smaller ids of a
// group first.
type tieGroups map[int][]int64 // group -> ids, ascending

// checkTies fails if a search returned some rows of a tie group but not
// the smallest ids of it.
func checkTies(t *testing.T, what string, groups tieGroups, live model, allow func(int64) bool, hits []Hit) {
	t.Helper()
	returned := map[int64]bool{}
	for _, h := range hits {
		returned[h.ID] = true
	}
	for g, ids := range groups {
		var members []int64
		for _, id := range ids {
			if _, ok := live[id]; ok && (allow == nil || allow(id)) {
				members = append(members, id)
			}
		}
		n := 0
		for _, id := range members {
			if returned[id] {
				n++
			}
		}
		for j, id := range members {
			if (j < n) != returned[id] {
				t.Fatalf("%s: tie group %d: %d of its %d rows returned, but not its %d smallest ids (id %d returned: %t; group %v)",
					what, g, n, len(members), n, id, returned[id], members)
			}
		}
	}
}

// smallInts returns d integers from -span to span, one of them span+1
// (never all zeros), as float32: rows whose products are exact, so that
// equal rows tie exactly.
func smallInts(r *rand.Rand, d, span int) []float32 {
	v := make([]float32, d)
	for j := range v {
		v[j] = float32(r.IntN(2*span+1) - span)
	}
	v[r.IntN(d)] = float32(span + 1)
	return v
}

// exactCase fills a store in many small adds with rows of small integers
// under ids that are random int64 values (not 0..N-1), a quarter of them
// copies of a few vectors (ties that cross the k-th place), and searches
// it with k from 1 past Len, before and after deletes and upserts (which
// move rows to the end of their arena, so that row order is not id
// order), unfiltered and filtered, against the float64 reference.
func exactCase(t *testing.T, e *engine.Engine, m Metric, dt engine.DType, segRows int) {
	const n, d = 2500, 21
	name := fmt.Sprintf("%s %s %s arena<=%d", e.Name(), m, dt, segRows)
	r := rand.New(rand.NewPCG(uint64(segRows), uint64(m)*7+uint64(dt)))
	s := newStore(t, Options{Dim: d, Metric: m, DType: dt, SegmentRows: segRows, Engine: e})
	small := func() []float32 { return smallInts(r, d, 3) }
	bases := make([][]float32, 12)
	for i := range bases {
		bases[i] = small()
	}
	want, groups := model{}, tieGroups{}
	ids := make([]int64, 0, n)
	for seen := map[int64]bool{}; len(ids) < n; {
		if id := int64(r.Uint64()); !seen[id] {
			seen[id] = true
			ids = append(ids, id)
		}
	}
	vecs := make([][]float32, n)
	group := make(map[int64]int, n)
	for i, id := range ids {
		if r.IntN(4) == 0 {
			g := r.IntN(len(bases))
			vecs[i] = bases[g]
			group[id] = g
			groups[g] = append(groups[g], id)
		} else {
			vecs[i] = small()
			group[id] = -1
		}
	}
	for _, g := range groups {
		slices.Sort(g)
	}
	for lo := 0; lo < n; { // many small adds: the arenas grow often
		hi := min(n, lo+1+r.IntN(160))
		if err := s.Add(ids[lo:hi], vecs[lo:hi]); err != nil {
			t.Fatal(err)
		}
		for i := lo; i < hi; i++ {
			want[ids[i]] = vecs[i]
		}
		lo = hi
	}
	queries := [][]float32{bases[0], bases[5], small(), small()}
	search := func(stage string) {
		t.Helper()
		for _, k := range []int{1, 7, 100, 1000, 4096, len(want) + 3, math.MaxInt} {
			res, err := s.SearchBatch(queries, k)
			if err != nil {
				t.Fatal(err)
			}
			for i, q := range queries {
				what := fmt.Sprintf("%s %s k=%d query %d", name, stage, k, i)
				checkHits(t, what, m, dt, want, nil, q, k, res[i])
				checkTies(t, what, groups, want, nil, res[i])
			}
		}
		for _, f := range []struct {
			name  string
			f     Filter
			allow func(int64) bool
		}{
			{"where", Where(func(id int64) bool { return id%3 != 0 }), func(id int64) bool { return id%3 != 0 }},
			{"allow", AllowIDs(ids[:300]...), func(id int64) bool { return slices.Contains(ids[:300], id) }},
		} {
			for _, k := range []int{7, 1000} {
				res, err := s.SearchBatchFiltered(queries, k, f.f)
				if err != nil {
					t.Fatal(err)
				}
				for i, q := range queries {
					what := fmt.Sprintf("%s %s %s k=%d query %d", name, stage, f.name, k, i)
					checkHits(t, what, m, dt, want, f.allow, q, k, res[i])
					checkTies(t, what, groups, want, f.allow, res[i])
				}
			}
		}
	}
	search("after adds")
	// Deletes (below and past an arena's compaction threshold) and
	// upserts of tie-group rows and others, which append them anew.
	del := ids[100 : 100+n/20]
	want.del(t, s, del...)
	up := slices.Clone(groups[0][:len(groups[0])/2])
	for _, id := range ids[1000:1040] {
		if group[id] != 0 {
			up = append(up, id)
		}
	}
	upVecs := make([][]float32, len(up))
	for i, id := range up {
		if g := group[id]; g >= 0 {
			upVecs[i] = bases[g]
		} else {
			upVecs[i] = small()
		}
		want[id] = upVecs[i]
	}
	if err := s.Add(up, upVecs); err != nil {
		t.Fatal(err)
	}
	search("after deletes and upserts")
	want.del(t, s, ids[1200:1900]...)
	if st := s.Stats(); st.Count != len(want) || st.Reclaimable*deadShare > st.Count+st.Reclaimable {
		t.Fatalf("%s: after many deletes %+v; want %d rows, compacted", name, st, len(want))
	}
	search("after compaction")
}

// TestSearchExact checks searches against the float64 reference with
// exact ties, on the CPU (rows in host memory), the device-like backend
// (rows in engine arrays grown on the device) and every other registered
// backend that opens here (CUDA on a GPU machine; testenv.Need skips the
// others), in one arena and in several.
func TestSearchExact(t *testing.T) {
	engines := map[string]func() (*engine.Engine, error){
		"cpu":         func() (*engine.Engine, error) { return engine.New("cpu", newCPU()), nil },
		"device-like": func() (*engine.Engine, error) { return engine.New("device-like", deviceLike{newCPU()}), nil },
	}
	for _, name := range engine.Drivers() {
		if name != "cpu" {
			engines[name] = func() (*engine.Engine, error) { return engine.Open(name) }
		}
	}
	for name, open := range engines {
		t.Run(name, func(t *testing.T) {
			e, err := open()
			if err != nil {
				testenv.Need(t, name, err)
			}
			defer e.Close()
			for _, c := range []struct {
				m  Metric
				dt engine.DType
			}{{Cosine, engine.Float32}, {Dot, engine.Float32}, {L2, engine.Float32}, {Cosine, engine.Float16}, {L2, engine.Float16}, {Cosine, engine.Int8}} {
				for _, segRows := range []int{0, 700} {
					t.Run(fmt.Sprintf("%s/%s/%d", c.m, c.dt, segRows), func(t *testing.T) {
						exactCase(t, e, c.m, c.dt, segRows)
					})
				}
			}
		})
	}
}
