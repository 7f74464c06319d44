package store

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/silica-go/silica/engine"
)

// twins are an unsharded store (first) and sharded ones that receive the
// same operations; every search must give them identical hits.
type twins struct {
	t      *testing.T
	names  []string
	stores []*Store
	want   model
	m      Metric
	dt     engine.DType
}

func newTwins(t *testing.T, o Options, shards []int) *twins {
	w := &twins{t: t, want: model{}, m: o.Metric, dt: o.DType}
	w.names = append(w.names, "unsharded")
	w.stores = append(w.stores, newStore(t, o))
	for _, n := range shards {
		so := o
		so.Shards = n
		w.names = append(w.names, fmt.Sprintf("%d shards", n))
		w.stores = append(w.stores, newStore(t, so))
	}
	return w
}

func (w *twins) add(ids []int64, vecs [][]float32) {
	w.t.Helper()
	for i, s := range w.stores {
		if err := s.Add(ids, vecs); err != nil {
			w.t.Fatalf("%s: %v", w.names[i], err)
		}
	}
	for i, id := range ids {
		w.want[id] = vecs[i]
	}
}

func (w *twins) del(ids []int64) {
	w.t.Helper()
	want := 0
	for _, id := range ids {
		if _, ok := w.want[id]; ok {
			want++
			delete(w.want, id)
		}
	}
	for i, s := range w.stores {
		if n, err := s.Delete(ids...); err != nil || n != want {
			w.t.Fatalf("%s: Delete = %d, %v; want %d", w.names[i], n, err, want)
		}
	}
}

// check compares every store's hits with the unsharded store's, hit for
// hit, and those with the float64 reference, for each k and filter, and
// the stores' counts, Contains and Get.
func (w *twins) check(what string, r *rand.Rand) {
	w.t.Helper()
	ids := w.want.ids()
	n := len(ids)
	queries := randVectors(r, 2, w.stores[0].Dim())
	queries = append(queries, w.want[ids[r.IntN(n)]]) // a stored vector: ties with its copies
	listed := []int64{r.Int64(), -1}
	for _, id := range ids {
		if r.IntN(3) == 0 {
			listed = append(listed, id)
		}
	}
	inList := func(id int64) bool { return slices.Contains(listed, id) }
	even := func(id int64) bool { return id&1 == 0 }
	filters := []struct {
		name  string
		f     Filter
		allow func(int64) bool
	}{{"all", Filter{}, nil}, {"AllowIDs", AllowIDs(listed...), inList}, {"Where", Where(even), even}}
	for _, k := range []int{1, 5, n - 1, n + 4} {
		if k < 1 {
			continue
		}
		for fi, fl := range filters {
			if fi > 0 && (k == 1 || k > n) {
				continue // the filters at the middle two ks (for time)
			}
			var ref [][]Hit
			for i, s := range w.stores {
				res, err := s.SearchBatchFiltered(queries, k, fl.f)
				if err != nil {
					w.t.Fatalf("%s: %s: k=%d %s: %v", what, w.names[i], k, fl.name, err)
				}
				if i == 0 {
					ref = res
					for qi, q := range queries {
						checkHits(w.t, fmt.Sprintf("%s: k=%d %s query %d", what, k, fl.name, qi), w.m, w.dt, w.want, fl.allow, q, k, res[qi])
					}
					continue
				}
				for qi := range queries {
					if !slices.Equal(res[qi], ref[qi]) {
						w.t.Fatalf("%s: %s: k=%d %s query %d:\n got %v\nwant %v (unsharded)", what, w.names[i], k, fl.name, qi, res[qi], ref[qi])
					}
				}
			}
		}
	}
	bound := float32(0)
	for i, s := range w.stores {
		if i == 0 {
			top, err := s.Search(queries[2], min(n, 9))
			if err != nil {
				w.t.Fatal(err)
			}
			bound = top[len(top)-1].Score
		}
		got, err := s.SearchRange(queries[2], bound)
		if err != nil {
			w.t.Fatalf("%s: %s: SearchRange: %v", what, w.names[i], err)
		}
		if i == 0 {
			continue
		}
		ref, _ := w.stores[0].SearchRange(queries[2], bound)
		if !slices.Equal(got, ref) {
			w.t.Fatalf("%s: %s: SearchRange(%v):\n got %v\nwant %v", what, w.names[i], bound, got, ref)
		}
	}
	probe := []int64{ids[0], ids[n-1], ids[n/2], r.Int64()}
	for i, s := range w.stores {
		if s.Len() != n || s.Stats().Count != n {
			w.t.Fatalf("%s: %s: Len %d, Stats.Count %d; want %d", what, w.names[i], s.Len(), s.Stats().Count, n)
		}
		for _, id := range probe {
			_, in := w.want[id]
			if s.Contains(id) != in {
				w.t.Fatalf("%s: %s: Contains(%d) = %v, want %v", what, w.names[i], id, !in, in)
			}
			v, err := s.Get(id)
			ref, refErr := w.stores[0].Get(id)
			if (err == nil) != in || (err == nil && !slices.Equal(v, ref)) || (err != nil && refErr == nil) {
				w.t.Fatalf("%s: %s: Get(%d) = %v, %v; unsharded %v, %v", what, w.names[i], id, v, err, ref, refErr)
			}
		}
	}
}

// tiedRows returns n vectors drawn from a pool of n/4 + 1 (so that many
// rows are equal and their scores tie) and n distinct ids spread over
// all of int64, in random order.
func tiedRows(r *rand.Rand, n, d int) ([]int64, [][]float32) {
	pool := randVectors(r, n/4+1, d)
	vecs := make([][]float32, n)
	for i := range vecs {
		vecs[i] = slices.Clone(pool[r.IntN(len(pool))])
	}
	seen := map[int64]bool{}
	ids := make([]int64, 0, n)
	for len(ids) < n {
		if id := int64(r.Uint64()); !seen[id] {
			seen[id] = true
			ids = append(ids, id)
		}
	}
	return ids, vecs
}

// TestShardedMatchesUnsharded feeds an unsharded store and stores of 1
// to 5 shards (on the cpu backend) the same adds, deletes and upserts,
// and compares their hits after each step, for every metric and dtype.
func TestShardedMatchesUnsharded(t *testing.T) {
	const d, n = 13, 120
	for _, m := range allMetrics {
		for _, dt := range allDTypes {
			name := fmt.Sprintf("%s/%s", m, dt)
			r := rand.New(rand.NewPCG(uint64(m), uint64(dt)+40))
			w := newTwins(t, Options{Dim: d, Metric: m, DType: dt, SegmentRows: 23}, []int{1, 2, 3, 4, 5})
			ids, vecs := tiedRows(r, n, d)
			for lo := 0; lo < n; {
				hi := min(n, lo+1+r.IntN(n/3))
				w.add(ids[lo:hi], vecs[lo:hi])
				lo = hi
			}
			for i, s := range w.stores[1:] { // adds alone leave the shards level
				var lens []int
				for _, sh := range s.shards {
					lens = append(lens, sh.live)
				}
				if slices.Max(lens)-slices.Min(lens) > 1 {
					t.Fatalf("%s: %s: shards hold %v rows after adds", name, w.names[i+1], lens)
				}
			}
			w.check(name+" after adds", r)
			var gone []int64
			for _, i := range r.Perm(n)[:n/4] {
				gone = append(gone, ids[i])
			}
			w.del(append(gone, r.Int64()))
			w.check(name+" after deletes", r)
			// Upsert: ids in the store (some moved to another vector's
			// copy), deleted ids back, and new ids.
			var up []int64
			for _, i := range r.Perm(n)[:n/3] {
				up = append(up, ids[i])
			}
			newIDs, newVecs := tiedRows(r, 30, d)
			up = append(up, newIDs...)
			upVecs := make([][]float32, len(up))
			for i := range up {
				if i < len(up)-len(newIDs) && i%2 == 0 {
					upVecs[i] = slices.Clone(vecs[r.IntN(n)])
				} else {
					upVecs[i] = newVecs[r.IntN(len(newVecs))]
				}
			}
			w.add(up, upVecs)
			w.check(name+" after upserts", r)
			for i, s := range w.stores {
				if err := s.Compact(); err != nil {
					t.Fatalf("%s: %s: Compact: %v", name, w.names[i], err)
				}
			}
			w.check(name+" after Compact", r)
		}
	}
}

// TestShardedSaveOpen saves a store of 3 shards and opens it with 1 and
// 4 shards and unsharded (Save/Open and WriteTo/Load), and an unsharded
// store with 3 shards: the same hits, and the opened stores take adds and
// deletes.
func TestShardedSaveOpen(t *testing.T) {
	const d, n = 11, 150
	for _, dt := range allDTypes {
		r := rand.New(rand.NewPCG(3, uint64(dt)))
		w := newTwins(t, Options{Dim: d, Metric: L2, DType: dt, SegmentRows: 31}, []int{3})
		ids, vecs := tiedRows(r, n, d)
		w.add(ids[:n/2], vecs[:n/2])
		w.add(ids[n/2:], vecs[n/2:])
		w.del(ids[:n/5])
		dirs := []string{t.TempDir(), t.TempDir()}
		for i, s := range w.stores {
			if err := s.Save(dirs[i]); err != nil {
				t.Fatal(err)
			}
		}
		var stream strings.Builder
		if _, err := w.stores[1].WriteTo(&stream); err != nil {
			t.Fatal(err)
		}
		opened := &twins{t: t, want: w.want, m: L2, dt: dt, names: []string{"saved unsharded"}, stores: []*Store{w.stores[0]}}
		for _, o := range []struct {
			from   int // index of the saved store
			shards int
			stream bool
		}{{1, 0, false}, {1, 1, false}, {1, 4, false}, {1, 2, true}, {0, 3, false}} {
			opts := Options{Backend: "cpu", Shards: o.shards, SegmentRows: 17}
			var s *Store
			var err error
			if o.stream {
				s, err = Load(strings.NewReader(stream.String()), opts)
			} else {
				s, err = Open(dirs[o.from], opts)
			}
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { s.Close() })
			if st := s.Stats(); st.Shards != max(o.shards, 1) {
				t.Fatalf("opened with Shards %d: Stats.Shards %d", o.shards, st.Shards)
			}
			opened.names = append(opened.names, fmt.Sprintf("%s saved, opened with %d shards (stream %v)", w.names[o.from], o.shards, o.stream))
			opened.stores = append(opened.stores, s)
		}
		name := fmt.Sprintf("%s opened", dt)
		opened.check(name, r)
		more, moreVecs := tiedRows(r, 40, d)
		opened.add(append(more, ids[n-3:]...), append(moreVecs, vecs[:3]...))
		opened.del(ids[n/5 : n/4])
		opened.check(name+", then changed", r)
		// Upserts of held ids, all of them at or above 0: a shard opened
		// must still look them up (its next id is the store's, above
		// every id it holds).
		var held []int64
		for id := range opened.want {
			if id >= 0 && len(held) < 4 {
				held = append(held, id)
			}
		}
		opened.add(held, randVectors(r, len(held), d))
		opened.check(name+", then upserted", r)
		appended := randVectors(r, 3, d)
		var first []int64
		for i, s := range opened.stores {
			got, err := s.Append(appended)
			if err != nil {
				t.Fatal(err)
			}
			if i == 0 {
				first = got
			} else if !slices.Equal(got, first) {
				t.Fatalf("%s: %s: Append gave ids %v, the unsharded store %v", name, opened.names[i], got, first)
			}
		}
	}
}

// TestShardedErrors checks that each bad sharding option fails with a
// one-line error naming it, and that a sharded store's budget holds for
// all its shards.
func TestShardedErrors(t *testing.T) {
	e, err := engine.Open("cpu")
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	for _, c := range []struct {
		o    Options
		want string
	}{
		{Options{Dim: 4, Backend: "cpu", Shards: -1}, "Shards -1"},
		{Options{Dim: 4, Backend: "cpu", Shards: MaxShards + 1}, "MaxShards"},
		{Options{Dim: 4, Backend: "cpu", Devices: []string{"cpu"}, Shards: MaxShards + 1}, "MaxShards"},
		{Options{Dim: 4, Engine: e, Devices: []string{"cpu"}}, "Options.Engine is set together with Devices"},
		{Options{Dim: 4, Backend: "cpu", Device: "cpu", Devices: []string{"cpu"}}, "Device \"cpu\" is set together with Devices"},
		{Options{Dim: 4, Backend: "cpu", Devices: []string{"gpu7"}}, "backend \"cpu\" has no device \"gpu7\""},
		{Options{Dim: 4, Backend: "cpu", Devices: []string{"cpu", "cpu"}}, "names device \"cpu\" twice"},
		{Options{Dim: 4, Backend: "cpu", Devices: []string{"all", "cpu"}}, "\"all\" must be the only entry"},
		{Options{Dim: 4, Backend: "cpu", Devices: []string{""}}, "empty name"},
		{Options{Dim: 4, Backend: "cpu:cpu", Devices: []string{"cpu"}}, "names a device"},
		{Options{Dim: 4, Backend: "nosuch", Devices: []string{"all"}}, "unknown backend \"nosuch\""},
	} {
		s, err := New(c.o)
		if err == nil {
			s.Close()
			t.Fatalf("New(%+v) succeeded; want an error with %q", c.o, c.want)
		}
		if msg := err.Error(); !strings.Contains(msg, c.want) || strings.Contains(msg, "\n") {
			t.Fatalf("New(%+v): %q; want one line with %q", c.o, msg, c.want)
		}
	}
	for _, devs := range [][]string{{"all"}, {"cpu"}} {
		s := newStore(t, Options{Dim: 4, Backend: "cpu", Devices: devs, Shards: 2})
		if st := s.Stats(); st.Shards != 2 || st.Backend != "cpu:cpu" {
			t.Fatalf("Devices %q, Shards 2: Stats.Shards %d, Backend %q", devs, st.Shards, st.Backend)
		}
	}
	// No Backend: the default one's devices (SILICA_BACKEND's here).
	t.Setenv(engine.EnvBackend, "cpu")
	def, err := New(Options{Dim: 4, Devices: []string{"all"}})
	if err != nil {
		t.Fatal(err)
	}
	if st := def.Stats(); st.Shards != 1 || st.Backend != "cpu:cpu" {
		t.Fatalf("Devices all without a Backend: Stats.Shards %d, Backend %q", st.Shards, st.Backend)
	}
	def.Close()

	// A budget of 100 rows of 4 float32 and an id (24 bytes) over 3 shards.
	s := newStore(t, Options{Dim: 4, Metric: Dot, Shards: 3, MemoryGB: 100 * 24 / 1e9})
	r := rand.New(rand.NewPCG(9, 9))
	ids, vecs := tiedRows(r, 160, 4)
	if err := s.Add(ids[:70], vecs[:70]); err != nil {
		t.Fatal(err)
	}
	err = s.Add(ids[70:], vecs[70:])
	if err == nil || !strings.Contains(err.Error(), "add of 90 rows needs 2160 bytes") {
		t.Fatalf("add past the budget: %v", err)
	}
	if s.Len() != 70 || s.Stats().UsedBytes != 70*24 {
		t.Fatalf("after a failed add: Len %d, UsedBytes %d; want 70, %d", s.Len(), s.Stats().UsedBytes, 70*24)
	}
	// A bad vector in a batch spread over the shards: named by its place
	// in the batch, and nothing added.
	bad := slices.Clone(vecs[70:100])
	bad[27] = []float32{1, float32(math.NaN()), 0, 0}
	err = s.Add(ids[70:100], bad)
	if err == nil || !strings.Contains(err.Error(), "vector 27 (id "+fmt.Sprint(ids[97])+") has NaN") {
		t.Fatalf("a NaN in a batch over 3 shards: %v", err)
	}
	if s.Len() != 70 {
		t.Fatalf("Len %d after a failed add; want 70", s.Len())
	}
	// The shards that had written their part aside before the bad one
	// are intact and take the good rows.
	if err := s.Add(ids[70:100], vecs[70:100]); err != nil {
		t.Fatal(err)
	}
	want := model{}
	for i, id := range ids[:100] {
		want[id] = vecs[i]
	}
	q := randVectors(r, 1, 4)[0]
	hits, err := s.Search(q, 100)
	if err != nil {
		t.Fatal(err)
	}
	checkHits(t, "after a failed add", Dot, engine.Float32, want, nil, q, 100, hits)
}

// TestSpread compares spread with giving one row at a time to the first
// emptiest shard.
func TestSpread(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for range 300 {
		counts := make([]int, 1+r.IntN(6))
		for i := range counts {
			counts[i] = r.IntN(12)
		}
		n := r.IntN(40)
		want := make([]int, len(counts))
		cur := slices.Clone(counts)
		for range n {
			j := slices.Index(cur, slices.Min(cur))
			cur[j]++
			want[j]++
		}
		if got := spread(counts, n); !slices.Equal(got, want) {
			t.Fatalf("spread(%v, %d) = %v, want %v", counts, n, got, want)
		}
	}
}

// TestShardedTexts adds and searches texts in a store of 3 shards and an
// unsharded one.
func TestShardedTexts(t *testing.T) {
	enc := hashEncoder{dim: 16, name: "hash"}
	texts := []string{"a red fox", "the red sky", "a blue sky", "foxes run", "sky", "red", "a fox", "blue red fox"}
	ids := []int64{70, -3, 12, 9, 1 << 40, 5, 6, -7}
	var ref []Hit
	for _, shards := range []int{0, 3} {
		s := newStore(t, Options{Encoder: enc, Shards: shards})
		if err := s.AddTexts(ids, texts); err != nil {
			t.Fatal(err)
		}
		hits, err := s.SearchText("red fox", len(texts))
		if err != nil {
			t.Fatal(err)
		}
		if m := s.Model(); m == nil || m.Name != "hash" {
			t.Fatalf("Shards %d: Model %v", shards, m)
		}
		if shards == 0 {
			ref = hits
		} else if !slices.Equal(hits, ref) {
			t.Fatalf("3 shards: %v; unsharded %v", hits, ref)
		}
	}
}

// sameHits reports whether a and b hold the same ids with the same
// scores (bit for bit, or both NaN).
func sameHits(a, b []Hit) bool {
	return slices.EqualFunc(a, b, func(x, y Hit) bool {
		return x.ID == y.ID && (math.Float32bits(x.Score) == math.Float32bits(y.Score) || (x.Score != x.Score && y.Score != y.Score))
	})
}

// TestShardedNaNScores stores rows whose dot product with the query
// overflows to +Inf - Inf = NaN (finite rows and queries, so the store
// takes them): sharded stores give the unsharded store's hits, NaN last
// and ordered by id.
func TestShardedNaNScores(t *testing.T) {
	const d, n = 5, 60
	r := rand.New(rand.NewPCG(4, 4))
	ids, vecs := tiedRows(r, n, d)
	for i := range vecs[:n/3] {
		vecs[i] = []float32{1e30, -1e30, float32(i % 4), 0, 1}
	}
	q := []float32{1e30, 1e30, 1, 1, 1}
	var ref [][]Hit
	for _, shards := range []int{0, 1, 2, 3, 5} {
		s := newStore(t, Options{Dim: d, Metric: Dot, SegmentRows: 7, Shards: shards})
		if err := s.Add(ids, vecs); err != nil {
			t.Fatal(err)
		}
		for ki, k := range []int{1, 9, n - n/3, n - n/3 + 1, n - 1, n + 2} {
			hits, err := s.Search(q, k)
			if err != nil {
				t.Fatal(err)
			}
			if shards == 0 {
				ref = append(ref, hits)
				if k >= n {
					nan := 0
					for i, h := range hits {
						if h.Score != h.Score {
							nan++
							if i > 0 && hits[i-1].Score != hits[i-1].Score && hits[i-1].ID > h.ID {
								t.Fatalf("NaN hits out of id order: %v", hits)
							}
						} else if nan > 0 {
							t.Fatalf("a number after a NaN: %v", hits)
						}
					}
					if nan != n/3 {
						t.Fatalf("%d NaN scores, want %d: %v", nan, n/3, hits)
					}
				}
				continue
			}
			if !sameHits(hits, ref[ki]) {
				t.Fatalf("%d shards, k=%d:\n got %v\nwant %v (unsharded)", shards, k, hits, ref[ki])
			}
		}
	}
}
