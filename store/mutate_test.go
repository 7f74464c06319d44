package store

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/silica-go/silica/engine"
	"github.com/silica-go/silica/internal/par"
)

func TestUpsertReplaces(t *testing.T) {
	for _, dt := range allDTypes {
		r := rand.New(rand.NewPCG(2, 3))
		s := newStore(t, Options{Dim: 9, Metric: L2, DType: dt, SegmentRows: 16})
		want := fill(t, s, r, 100)
		ids := append(want.ids()[:30], 100000, 100001) // two new ids in the same batch
		vecs := randVectors(r, len(ids), 9)
		if err := s.Add(ids, vecs); err != nil {
			t.Fatal(err)
		}
		for i, id := range ids {
			want[id] = vecs[i]
		}
		if s.Len() != 102 {
			t.Fatalf("%s: Len = %d after upserting 30 and adding 2 to 100", dt, s.Len())
		}
		for _, q := range randVectors(r, 4, 9) {
			hits, err := s.Search(q, 7)
			if err != nil {
				t.Fatal(err)
			}
			checkHits(t, fmt.Sprintf("%s after upsert", dt), L2, dt, want, nil, q, 7, hits)
		}
		// Search for a replaced vector exactly: it must come back first.
		hits, err := s.Search(vecs[3], 1)
		if err != nil {
			t.Fatal(err)
		}
		if hits[0].ID != ids[3] {
			t.Errorf("%s: searching the new vector of id %d found %+v", dt, ids[3], hits)
		}
		got, err := s.Get(ids[3])
		if err != nil {
			t.Fatal(err)
		}
		if d := refScore(L2, got, vecs[3]); d > 1e-2 {
			t.Errorf("%s: Get(%d) is %g (squared) away from the vector upserted", dt, ids[3], d)
		}
	}
}

// TestLargeAddKeepsIDs adds batches large enough that the store remakes
// its map of ids for them (remap; the first after a batch that failed)
// and ids past every id it holds (so that no id is looked up: allNew),
// and checks that every id, old and new, upserted or not, reads back its
// vector and searches find it.
func TestLargeAddKeepsIDs(t *testing.T) {
	const d = 3
	r := rand.New(rand.NewPCG(8, 9))
	s := newStore(t, Options{Dim: d, Metric: L2, SegmentRows: 5000})
	want := fill(t, s, r, 40)
	top := slices.Max(want.ids())
	// Sequential ids past the largest (allNew), then a batch of the same
	// size again upserting 7 of the first and 3 of the old, out of order.
	big := make([]int64, 1<<14+3)
	for i := range big {
		big[i] = top + 1 + int64(i)
	}
	vecs := randVectors(r, len(big), d)
	vecs[len(vecs)-1][1] = float32(math.NaN())
	if err := s.Add(big, vecs); err == nil || s.Len() != len(want) {
		t.Fatalf("a large batch with a NaN: error %v, Len %d; want an error and %d", err, s.Len(), len(want))
	}
	vecs[len(vecs)-1][1] = 0.5
	if err := s.Add(big, vecs); err != nil {
		t.Fatal(err)
	}
	for i, id := range big {
		want[id] = vecs[i]
	}
	mixed := append(slices.Clone(big[100:107]), want.ids()[:3]...)
	fresh := map[int64]bool{}
	for len(mixed) < 1<<14+3 {
		if id := top + 1<<20 + int64(r.IntN(1<<30)); !fresh[id] {
			fresh[id] = true
			mixed = append(mixed, id)
		}
	}
	r.Shuffle(len(mixed), func(i, j int) { mixed[i], mixed[j] = mixed[j], mixed[i] })
	vecs = randVectors(r, len(mixed), d)
	if err := s.Add(mixed, vecs); err != nil {
		t.Fatal(err)
	}
	for i, id := range mixed {
		want[id] = vecs[i]
	}
	if s.Len() != len(want) {
		t.Fatalf("Len = %d, want %d", s.Len(), len(want))
	}
	for id, v := range want {
		got, err := s.Get(id)
		if err != nil {
			t.Fatalf("Get(%d): %v", id, err)
		}
		if !slices.Equal(got, v) {
			t.Fatalf("Get(%d) = %v, want %v", id, got, v)
		}
	}
	for _, q := range randVectors(r, 3, d) {
		hits, err := s.Search(q, 9)
		if err != nil {
			t.Fatal(err)
		}
		checkHits(t, "after large adds", L2, engine.Float32, want, nil, q, 9, hits)
	}
}

func TestAppendGivesSequentialIDs(t *testing.T) {
	s := newStore(t, Options{Dim: 3})
	r := rand.New(rand.NewPCG(1, 2))
	ids, err := s.Append(randVectors(r, 3, 3))
	if err != nil || fmt.Sprint(ids) != "[0 1 2]" {
		t.Fatalf("Append = %v, %v; want [0 1 2]", ids, err)
	}
	if err := s.Add([]int64{10}, randVectors(r, 1, 3)); err != nil {
		t.Fatal(err)
	}
	ids, err = s.Append(randVectors(r, 2, 3))
	if err != nil || fmt.Sprint(ids) != "[11 12]" {
		t.Fatalf("Append after id 10 = %v, %v; want [11 12]", ids, err)
	}
}

func TestDeleteAndCompaction(t *testing.T) {
	for _, dt := range allDTypes {
		r := rand.New(rand.NewPCG(4, 4))
		s := newStore(t, Options{Dim: 11, Metric: Cosine, DType: dt, SegmentRows: 64})
		want := fill(t, s, r, 300)
		all := want.ids()
		check := func(stage string) {
			t.Helper()
			if s.Len() != len(want) {
				t.Fatalf("%s %s: Len = %d, want %d", dt, stage, s.Len(), len(want))
			}
			for _, q := range randVectors(r, 3, 11) {
				for _, k := range []int{1, 10, len(want) + 1} {
					hits, err := s.Search(q, k)
					if err != nil {
						t.Fatal(err)
					}
					checkHits(t, fmt.Sprintf("%s %s k=%d", dt, stage, k), Cosine, dt, want, nil, q, k, hits)
				}
			}
		}
		// A few deletes: below the compaction threshold, rows wait.
		n, err := s.Delete(all[0], all[1], all[1], -5)
		if err != nil || n != 2 {
			t.Fatalf("Delete of 2 known ids (one twice) and an unknown one = %d, %v; want 2", n, err)
		}
		delete(want, all[0])
		delete(want, all[1])
		check("after 2 deletes")
		st := s.Stats()
		if st.Reclaimable != 2 || st.Count != 298 {
			t.Errorf("%s: Stats after 2 deletes: %+v; want 2 reclaimable, 298 rows", dt, st)
		}
		if _, err := s.Get(all[0]); !errors.Is(err, ErrNotFound) {
			t.Errorf("%s: Get of a deleted id: %v, want ErrNotFound", dt, err)
		}
		// Delete most rows: segments are compacted as they pass 1/8.
		before := s.Stats().DeviceBytes
		n, err = s.Delete(all[2:250]...)
		if err != nil || n != 248 {
			t.Fatalf("Delete of 248 = %d, %v", n, err)
		}
		for _, id := range all[2:250] {
			delete(want, id)
		}
		check("after 250 deletes")
		st = s.Stats()
		if st.Reclaimable*deadShare > 300 || st.DeviceBytes >= before/2 {
			t.Errorf("%s: after deleting 250 of 300: %+v (device bytes before %d); want compacted", dt, st, before)
		}
		if err := s.Compact(); err != nil {
			t.Fatal(err)
		}
		if st := s.Stats(); st.Reclaimable != 0 || st.DeviceBytes != int64(50)*int64(s.rowBytes()-8) || st.Segments != 1 {
			t.Errorf("%s: after Compact: %+v; want 0 reclaimable, 50 rows in one segment", dt, st)
		}
		check("after Compact")
		// Delete everything, then add again.
		if n, err := s.Delete(all...); err != nil || n != 50 {
			t.Fatalf("Delete of the rest = %d, %v", n, err)
		}
		clear(want)
		check("empty")
		if st := s.Stats(); st.Segments != 0 || st.DeviceBytes != 0 {
			t.Errorf("%s: empty store holds %+v", dt, st)
		}
		vecs := randVectors(r, 5, 11)
		if err := s.Add([]int64{7, 8, 9, 10, 11}, vecs); err != nil {
			t.Fatal(err)
		}
		for i := range vecs {
			want[int64(7+i)] = vecs[i]
		}
		check("refilled")
	}
}

func TestFilteredSearch(t *testing.T) {
	for _, m := range allMetrics {
		r := rand.New(rand.NewPCG(6, uint64(m)))
		s := newStore(t, Options{Dim: 13, Metric: m, DType: engine.Float32, SegmentRows: 50})
		want := fill(t, s, r, 400)
		all := want.ids()
		// Delete a few so that dead rows and the filter combine.
		want.del(t, s, all[:5]...)
		few := map[int64]bool{}
		for _, id := range all[:40] { // 5 of them deleted
			few[id] = true
		}
		few[-1] = true // not in the store
		many := func(id int64) bool { return id%7 != 3 }
		even := func(id int64) bool { return id%2 == 0 }
		fewList := make([]int64, 0, len(few))
		for id := range few {
			fewList = append(fewList, id)
		}
		for _, c := range []struct {
			name  string
			f     Filter
			allow func(int64) bool
		}{
			{"allow 40", AllowIDs(fewList...), func(id int64) bool { return few[id] }},
			{"allow none", AllowIDs(), func(int64) bool { return false }},
			{"where most", Where(many), many},
			{"where even", Where(even), even},
		} {
			queries := randVectors(r, 3, 13)
			for _, k := range []int{1, 10, 35, 500} {
				res, err := s.SearchBatchFiltered(queries, k, c.f)
				if err != nil {
					t.Fatal(err)
				}
				for i, q := range queries {
					checkHits(t, fmt.Sprintf("%s %s k=%d", m, c.name, k), m, engine.Float32, want, c.allow, q, k, res[i])
				}
			}
		}
	}
}

func TestRangeSearch(t *testing.T) {
	for _, m := range allMetrics {
		r := rand.New(rand.NewPCG(7, uint64(m)))
		s := newStore(t, Options{Dim: 8, Metric: m, SegmentRows: 100})
		want := fill(t, s, r, 700)
		for _, q := range randVectors(r, 3, 8) {
			ref := refTop(m, want, q, len(want))
			// Bounds that keep about 0, 5, 150 and all of the rows.
			for _, keep := range []int{0, 5, 150, 700} {
				var bound float32
				switch {
				case keep == 0:
					bound = float32(refScore(m, q, want[ref[0]]))
					if m.larger() {
						bound += 1e3
					} else {
						bound /= 2
					}
				case keep == 700:
					bound = float32(refScore(m, q, want[ref[699]]))
					if m.larger() {
						bound -= 1
					} else {
						bound += 1
					}
				default:
					// halfway between the keep-th and the next score
					a, b := refScore(m, q, want[ref[keep-1]]), refScore(m, q, want[ref[keep]])
					bound = float32((a + b) / 2)
				}
				hits, err := s.SearchRange(q, bound)
				if err != nil {
					t.Fatal(err)
				}
				if len(hits) != keep {
					t.Fatalf("%s: range %v: %d hits, want %d", m, bound, len(hits), keep)
				}
				checkHits(t, fmt.Sprintf("%s range %v", m, bound), m, engine.Float32, want, nil, q, keep, hits)
			}
		}
	}
}

// TestSequentialAppendsMerge covers merges of segments whose ids follow
// one another (concatenated rather than interleaved).
func TestSequentialAppendsMerge(t *testing.T) {
	for _, dt := range allDTypes {
		r := rand.New(rand.NewPCG(12, 12))
		s := newStore(t, Options{Dim: 7, Metric: Dot, DType: dt, SegmentRows: 64})
		want := model{}
		for range 20 {
			vecs := randVectors(r, 13, 7)
			ids, err := s.Append(vecs)
			if err != nil {
				t.Fatal(err)
			}
			for i, id := range ids {
				want[id] = vecs[i]
			}
		}
		if st := s.Stats(); st.Segments > 6 {
			t.Errorf("%s: 260 rows in %d segments of at most 64", dt, st.Segments)
		}
		for _, q := range randVectors(r, 3, 7) {
			checkHits(t, fmt.Sprintf("%s sequential", dt), Dot, dt, want, nil, q, 25, must(s.Search(q, 25)))
		}
	}
}

// TestCosineExtremeMagnitudes: rows and queries far from unit length
// (tiny, huge) are stored as unit rows and score as their directions.
func TestCosineExtremeMagnitudes(t *testing.T) {
	for _, dt := range allDTypes {
		s := newStore(t, Options{Dim: 3, DType: dt})
		dirs := [][]float32{{1, 2, 2}, {-2, 1, 0}, {0, 0, 5}}
		var vecs [][]float32
		for i, sc := range []float32{1e-30, 1e30, 3e-8} {
			v := make([]float32, 3)
			for j := range v {
				v[j] = dirs[i][j] * sc
			}
			vecs = append(vecs, v)
		}
		if err := s.Add([]int64{1, 2, 3}, vecs); err != nil {
			t.Fatal(err)
		}
		for i := range vecs {
			got, err := s.Get(int64(i + 1))
			if err != nil {
				t.Fatal(err)
			}
			if n := refScore(Dot, got, got); math.Abs(n-1) > 2e-2 {
				t.Errorf("%s: row %d stored with squared norm %v, want 1", dt, i+1, n)
			}
		}
		for i, q := range [][]float32{{1e-25, 2e-25, 2e-25}, {-2e20, 1e20, 0}, {0, 0, 7e4}} {
			hits, err := s.Search(q, 3)
			if err != nil {
				t.Fatal(err)
			}
			if hits[0].ID != int64(i+1) || math.Abs(float64(hits[0].Score)-1) > 2e-2 {
				t.Errorf("%s: query %d found %+v first; want id %d with cosine 1", dt, i, hits[0], i+1)
			}
		}
	}
}

// TestCheckDistinctLarge checks the duplicate-id check of batches large
// enough to be split into classes checked in parallel against one pass
// in order: the same error (the first id seen again, both its places),
// or none, with repeats planted across the batch's runs and classes.
func TestCheckDistinctLarge(t *testing.T) {
	r := rand.New(rand.NewPCG(12, 13))
	const n = 5*par.RowGrain + 17
	for _, planted := range [][][2]int{nil, {{5, n - 1}}, {{100, 150000}, {50000, 60000}}, {{n - 2, n - 1}}, {{0, 1}, {2, 3}}} {
		ids := make([]int64, n)
		for i := range ids {
			ids[i] = int64(r.Uint64())
		}
		for _, p := range planted {
			ids[p[1]] = ids[p[0]]
		}
		want := ""
		seen := map[int64]int{}
		for i, id := range ids {
			if j, ok := seen[id]; ok {
				want = fmt.Sprintf("store: add: id %d appears twice in the batch (vectors %d and %d)", id, j, i)
				break
			}
			seen[id] = i
		}
		got := ""
		if err := checkDistinct("add", ids); err != nil {
			got = err.Error()
		}
		if got != want {
			t.Errorf("repeats %v: error %q, want %q", planted, got, want)
		}
	}
}
