package silicaindex_test

import (
	"context"
	"io"
	"math"
	"math/rand/v2"
	"sort"
	"strings"
	"testing"

	"github.com/sirupsen/logrus"
	"github.com/weaviate/weaviate/adapters/repos/db/helpers"
	"github.com/weaviate/weaviate/adapters/repos/db/lsmkv"
	"github.com/weaviate/weaviate/entities/cyclemanager"

	"github.com/silica-go/silica/integrations/weaviate/silicaconfig"
	"github.com/silica-go/silica/integrations/weaviate/silicaindex"
)

// distTol bounds the difference between a distance the index returns
// (float32 accumulation) and the float64 reference, for float32 rows of
// the test's magnitudes.
const distTol = 1e-4

// openKV opens the shard key-value store in dir, shut down at the test's end.
func openKV(t *testing.T, dir string) *lsmkv.Store {
	t.Helper()
	logger := logrus.New()
	logger.Out = io.Discard
	kv, err := lsmkv.New(dir, dir, logger, nil, nil,
		cyclemanager.NewCallbackGroupNoop(), cyclemanager.NewCallbackGroupNoop(), cyclemanager.NewCallbackGroupNoop())
	if err != nil {
		t.Fatalf("lsmkv.New: %v", err)
	}
	return kv
}

// newIndex makes an index over kv and runs its start-up rebuild.
func newIndex(t *testing.T, kv *lsmkv.Store, uc silicaconfig.UserConfig) *silicaindex.Index {
	t.Helper()
	ix, err := silicaindex.New(silicaindex.Config{ID: "test", TargetVector: "tv",
		MakeBucketOptions: lsmkv.MakeNoopBucketOptions}, uc, kv)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	ix.PostStartup(context.Background())
	return ix
}

// reference is the float64 brute-force model of the index's contents.
type reference struct {
	distance string
	vecs     map[uint64][]float32
}

// dist is Weaviate's distance of a query to a vector, in float64:
// cosine 1 - cos, dot -dot, l2-squared the squared distance.
func (r *reference) dist(q, v []float32) float64 {
	var dot, qq, vv, l2 float64
	for i := range q {
		a, b := float64(q[i]), float64(v[i])
		dot += a * b
		qq += a * a
		vv += b * b
		l2 += (a - b) * (a - b)
	}
	switch r.distance {
	case silicaconfig.DistanceCosine:
		return 1 - dot/math.Sqrt(qq*vv)
	case silicaconfig.DistanceDot:
		return -dot
	}
	return l2
}

type scored struct {
	id uint64
	d  float64
}

// ranked returns the ids allow passes (nil: all), closest first.
func (r *reference) ranked(q []float32, allow map[uint64]bool) []scored {
	var out []scored
	for id, v := range r.vecs {
		if allow == nil || allow[id] {
			out = append(out, scored{id, r.dist(q, v)})
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].d != out[j].d {
			return out[i].d < out[j].d
		}
		return out[i].id < out[j].id
	})
	return out
}

// checkTopK checks a top-k answer against the reference: as many hits as
// the reference has (up to k), the i-th distance that of the reference's
// i-th within distTol, each hit's distance its own reference distance, no
// id twice, only passing ids. Ties may come in any order.
func checkTopK(t *testing.T, what string, ref *reference, q []float32, k int, allow map[uint64]bool, ids []uint64, dists []float32) {
	t.Helper()
	want := ref.ranked(q, allow)
	if len(want) > k {
		want = want[:k]
	}
	if len(ids) != len(want) || len(dists) != len(want) {
		t.Fatalf("%s: %d ids and %d distances; want %d", what, len(ids), len(dists), len(want))
	}
	seen := map[uint64]bool{}
	for i, id := range ids {
		v, ok := ref.vecs[id]
		if !ok || (allow != nil && !allow[id]) || seen[id] {
			t.Fatalf("%s: hit %d is doc id %d, not a passing id of the index or returned twice", what, i, id)
		}
		seen[id] = true
		if d := ref.dist(q, v); math.Abs(float64(dists[i])-d) > distTol {
			t.Fatalf("%s: hit %d (doc id %d) has distance %v; reference %v", what, i, id, dists[i], d)
		}
		if math.Abs(float64(dists[i])-want[i].d) > distTol {
			t.Fatalf("%s: hit %d has distance %v; the reference's %d-th is %v (doc id %d)", what, i, dists[i], i, want[i].d, want[i].id)
		}
	}
}

// checkRange checks a distance search against the reference, with bound
// chosen between two reference distances (so tolerances decide nothing):
// exactly the passing ids within bound, closest first.
func checkRange(t *testing.T, what string, ref *reference, q []float32, bound float32, allow map[uint64]bool, ids []uint64, dists []float32) {
	t.Helper()
	var want []scored
	for _, s := range ref.ranked(q, allow) {
		if s.d <= float64(bound) {
			want = append(want, s)
		}
	}
	checkTopK(t, what, ref, q, len(want), allow, ids, dists)
	if len(want) == 0 {
		t.Fatalf("%s: the test's bound %v selects nothing", what, bound)
	}
}

// boundAt returns a distance bound halfway between the reference's n-th
// and (n+1)-th distances (n counted from 1), moving n up until the two are
// at least boundGap apart, so that no tolerance decides which ids are
// within it.
func boundAt(ranked []scored, n int) float32 {
	const boundGap = 1e-3
	for n < len(ranked) && ranked[n].d-ranked[n-1].d < boundGap {
		n++
	}
	if n >= len(ranked) {
		return float32(ranked[len(ranked)-1].d + boundGap)
	}
	return float32((ranked[n-1].d + ranked[n].d) / 2)
}

func randVec(rng *rand.Rand, dim int) []float32 {
	v := make([]float32, dim)
	for i := range v {
		v[i] = float32(rng.NormFloat64())
	}
	return v
}

// docIDs returns n distinct doc ids spread over a wide range, as a shard's
// ids are after updates.
func docIDs(rng *rand.Rand, n int) []uint64 {
	seen := map[uint64]bool{}
	var ids []uint64
	for len(ids) < n {
		id := uint64(rng.IntN(1 << 20))
		if !seen[id] {
			seen[id] = true
			ids = append(ids, id)
		}
	}
	return ids
}

// allowOf builds Weaviate's allow list and the reference's set from ids.
func allowOf(ids []uint64) (helpers.AllowList, map[uint64]bool) {
	m := map[uint64]bool{}
	for _, id := range ids {
		m[id] = true
	}
	return helpers.NewAllowList(ids...), m
}

// checkAll runs top-k and distance searches, unfiltered and filtered,
// for several queries and k, against the reference.
func checkAll(t *testing.T, stage string, ix *silicaindex.Index, ref *reference, rng *rand.Rand, dim int) {
	t.Helper()
	ctx := context.Background()
	all := make([]uint64, 0, len(ref.vecs))
	for id := range ref.vecs {
		all = append(all, id)
	}
	sort.Slice(all, func(i, j int) bool { return all[i] < all[j] })
	var some []uint64
	for _, id := range all {
		if rng.IntN(3) == 0 {
			some = append(some, id)
		}
	}
	some = append(some, 1<<40, 1<<41) // ids the index does not hold pass nothing
	allow, allowSet := allowOf(some)
	for qi := 0; qi < 4; qi++ {
		q := randVec(rng, dim)
		if qi == 0 {
			q = append([]float32(nil), ref.vecs[all[0]]...) // a stored vector: distance 0 to itself (l2, cosine)
		}
		for _, k := range []int{1, 10, 100, len(all) + 5} {
			ids, dists, err := ix.SearchByVector(ctx, q, k, nil)
			if err != nil {
				t.Fatalf("%s: SearchByVector k=%d: %v", stage, k, err)
			}
			checkTopK(t, stage+": top-k unfiltered", ref, q, k, nil, ids, dists)
			ids, dists, err = ix.SearchByVector(ctx, q, k, allow)
			if err != nil {
				t.Fatalf("%s: filtered SearchByVector k=%d: %v", stage, k, err)
			}
			checkTopK(t, stage+": top-k filtered", ref, q, k, allowSet, ids, dists)
		}
		for _, n := range []int{1, 37, 300} {
			bound := boundAt(ref.ranked(q, nil), n)
			ids, dists, err := ix.SearchByVectorDistance(ctx, q, bound, -1, nil)
			if err != nil {
				t.Fatalf("%s: SearchByVectorDistance: %v", stage, err)
			}
			checkRange(t, stage+": distance unfiltered", ref, q, bound, nil, ids, dists)
			fb := boundAt(ref.ranked(q, allowSet), n)
			ids, dists, err = ix.SearchByVectorDistance(ctx, q, fb, -1, allow)
			if err != nil {
				t.Fatalf("%s: filtered SearchByVectorDistance: %v", stage, err)
			}
			checkRange(t, stage+": distance filtered", ref, q, fb, allowSet, ids, dists)
		}
		// maxLimit keeps the closest maxLimit of the range.
		bound := boundAt(ref.ranked(q, nil), 50)
		ids, dists, err := ix.SearchByVectorDistance(ctx, q, bound, 7, nil)
		if err != nil {
			t.Fatalf("%s: SearchByVectorDistance with maxLimit: %v", stage, err)
		}
		checkTopK(t, stage+": distance with maxLimit 7", ref, q, 7, nil, ids, dists)
		// An empty allow list passes nothing.
		ids, _, err = ix.SearchByVector(ctx, q, 10, helpers.NewAllowList())
		if err != nil || len(ids) != 0 {
			t.Fatalf("%s: search with an empty allow list: %d hits, error %v; want none", stage, len(ids), err)
		}
		// QueryVectorDistancer agrees with the reference.
		qd := ix.QueryVectorDistancer(q)
		for _, id := range all[:5] {
			d, err := qd.DistanceToNode(id)
			if err != nil {
				t.Fatalf("%s: DistanceToNode(%d): %v", stage, id, err)
			}
			if want := ref.dist(q, ref.vecs[id]); math.Abs(float64(d)-want) > distTol {
				t.Fatalf("%s: DistanceToNode(%d) = %v; reference %v", stage, id, d, want)
			}
		}
	}
	for _, id := range all {
		if !ix.ContainsDoc(id) {
			t.Fatalf("%s: ContainsDoc(%d) is false for a stored id", stage, id)
		}
	}
	var iterated []uint64
	ix.Iterate(func(id uint64) bool { iterated = append(iterated, id); return true })
	if len(iterated) != len(all) {
		t.Fatalf("%s: Iterate gave %d ids; the index holds %d", stage, len(iterated), len(all))
	}
	for i := range all {
		if iterated[i] != all[i] {
			t.Fatalf("%s: Iterate's %d-th id is %d; want %d", stage, i, iterated[i], all[i])
		}
	}
}

// TestIndexAgainstBruteForce adds, searches, deletes, updates and restarts
// an index for each distance, checking every search against float64 brute
// force.
func TestIndexAgainstBruteForce(t *testing.T) {
	const n, dim = 600, 24
	for di, distance := range []string{silicaconfig.DistanceCosine, silicaconfig.DistanceDot, silicaconfig.DistanceL2Squared} {
		t.Run(distance, func(t *testing.T) {
			ctx := context.Background()
			rng := rand.New(rand.NewPCG(uint64(di)+1, 17))
			dir := t.TempDir()
			kv := openKV(t, dir)
			uc := silicaconfig.Default()
			uc.Distance = distance
			uc.Backend = "cpu"
			ix := newIndex(t, kv, uc)
			ref := &reference{distance: distance, vecs: map[uint64][]float32{}}

			ids := docIDs(rng, n)
			// One at a time, then in batches.
			for _, id := range ids[:50] {
				v := randVec(rng, dim)
				if err := ix.Add(ctx, id, v); err != nil {
					t.Fatalf("Add: %v", err)
				}
				ref.vecs[id] = v
			}
			for lo := 50; lo < n; lo += 137 {
				hi := min(lo+137, n)
				vs := make([][]float32, hi-lo)
				for i := range vs {
					vs[i] = randVec(rng, dim)
					ref.vecs[ids[lo+i]] = vs[i]
				}
				if err := ix.AddBatch(ctx, ids[lo:hi], vs); err != nil {
					t.Fatalf("AddBatch: %v", err)
				}
			}
			checkAll(t, "after adds", ix, ref, rng, dim)

			// Deletes (and ids never stored), then updates of kept ids.
			del := append([]uint64{1 << 42}, ids[100:160]...)
			if err := ix.Delete(del...); err != nil {
				t.Fatalf("Delete: %v", err)
			}
			for _, id := range del {
				delete(ref.vecs, id)
				if ix.ContainsDoc(id) {
					t.Fatalf("ContainsDoc(%d) after its delete", id)
				}
			}
			for _, id := range ids[200:260] {
				v := randVec(rng, dim)
				if err := ix.Add(ctx, id, v); err != nil {
					t.Fatalf("update Add: %v", err)
				}
				ref.vecs[id] = v
			}
			checkAll(t, "after deletes and updates", ix, ref, rng, dim)

			// Restart: the shard's store shuts down and reopens; the new
			// index rebuilds from the bucket.
			if err := ix.Shutdown(ctx); err != nil {
				t.Fatalf("Shutdown: %v", err)
			}
			if err := kv.Shutdown(ctx); err != nil {
				t.Fatalf("lsmkv Shutdown: %v", err)
			}
			kv = openKV(t, dir)
			defer kv.Shutdown(ctx)
			ix = newIndex(t, kv, uc)
			defer ix.Shutdown(ctx)
			if got := ix.Stats().Count; got != len(ref.vecs) {
				t.Fatalf("after restart the store holds %d vectors; want %d", got, len(ref.vecs))
			}
			checkAll(t, "after restart", ix, ref, rng, dim)

			// Writes after the restart are searched and rebuilt too.
			for _, id := range ids[300:310] {
				if err := ix.Delete(id); err != nil {
					t.Fatalf("Delete after restart: %v", err)
				}
				delete(ref.vecs, id)
			}
			checkAll(t, "after restart and deletes", ix, ref, rng, dim)
		})
	}
}

// TestReducedPrecision checks float16 and int8 rows against float64 brute
// force: every hit's distance is its reference distance within the dtype's
// tolerance, and recall@10 is high.
func TestReducedPrecision(t *testing.T) {
	const n, dim, k = 800, 32, 10
	for _, tc := range []struct {
		dtype  string
		tol    float64
		recall float64
	}{{"float16", 2e-3, 0.95}, {"int8", 2e-2, 0.9}} {
		t.Run(tc.dtype, func(t *testing.T) {
			ctx := context.Background()
			rng := rand.New(rand.NewPCG(5, 6))
			kv := openKV(t, t.TempDir())
			defer kv.Shutdown(ctx)
			uc := silicaconfig.Default()
			uc.DType, uc.Backend = tc.dtype, "cpu"
			ix := newIndex(t, kv, uc)
			defer ix.Shutdown(ctx)
			ref := &reference{distance: uc.Distance, vecs: map[uint64][]float32{}}
			ids := docIDs(rng, n)
			vs := make([][]float32, n)
			for i := range vs {
				vs[i] = randVec(rng, dim)
				ref.vecs[ids[i]] = vs[i]
			}
			if err := ix.AddBatch(ctx, ids, vs); err != nil {
				t.Fatalf("AddBatch: %v", err)
			}
			found, total := 0, 0
			for range 20 {
				q := randVec(rng, dim)
				got, dists, err := ix.SearchByVector(ctx, q, k, nil)
				if err != nil {
					t.Fatalf("SearchByVector: %v", err)
				}
				want := map[uint64]bool{}
				for _, s := range ref.ranked(q, nil)[:k] {
					want[s.id] = true
				}
				for i, id := range got {
					if d := ref.dist(q, ref.vecs[id]); math.Abs(float64(dists[i])-d) > tc.tol {
						t.Fatalf("doc id %d: distance %v; reference %v (tolerance %v)", id, dists[i], d, tc.tol)
					}
					if want[id] {
						found++
					}
				}
				total += k
			}
			if r := float64(found) / float64(total); r < tc.recall {
				t.Fatalf("recall@%d %.3f; want at least %.2f", k, r, tc.recall)
			}
		})
	}
}

// TestErrors checks that bad vectors are refused with a message naming the
// problem, and leave the index unchanged.
func TestErrors(t *testing.T) {
	ctx := context.Background()
	kv := openKV(t, t.TempDir())
	defer kv.Shutdown(ctx)
	uc := silicaconfig.Default()
	uc.Backend = "cpu"
	ix := newIndex(t, kv, uc)
	defer ix.Shutdown(ctx)
	if err := ix.Add(ctx, 1, []float32{1, 2, 3}); err != nil {
		t.Fatalf("Add: %v", err)
	}
	for _, tc := range []struct {
		name string
		err  error
		want string
	}{
		{"wrong dimension", ix.Add(ctx, 2, []float32{1, 2}), "dimension 2"},
		{"NaN", ix.Add(ctx, 2, []float32{1, float32(math.NaN()), 3}), "NaN"},
		{"zero under cosine", ix.Add(ctx, 2, []float32{0, 0, 0}), "all-zero"},
		{"batch with one bad row", ix.AddBatch(ctx, []uint64{2, 3}, [][]float32{{1, 1, 1}, {1}}), "doc id 3"},
		{"doc id above int64", ix.Add(ctx, math.MaxUint64, []float32{1, 1, 1}), "int64"},
		{"validate", ix.ValidateBeforeInsert([]float32{1}), "dimension 1"},
	} {
		if tc.err == nil || !strings.Contains(tc.err.Error(), tc.want) || strings.Contains(tc.err.Error(), "\n") {
			t.Errorf("%s: error %v; want one line containing %q", tc.name, tc.err, tc.want)
		}
	}
	if ix.ContainsDoc(2) || ix.ContainsDoc(3) || ix.Stats().Count != 1 {
		t.Fatalf("a refused add changed the index: %d vectors", ix.Stats().Count)
	}
	if _, _, err := ix.SearchByVector(ctx, []float32{1, 2}, 3, nil); err == nil {
		t.Fatalf("a query of the wrong dimension was accepted")
	}
	if _, err := silicaindex.New(silicaindex.Config{ID: "x"}, silicaconfig.UserConfig{Distance: "manhattan"}, kv); err == nil {
		t.Fatalf("New accepted the manhattan distance")
	}
}

// TestEmpty checks an index that holds nothing, before and after a restart.
func TestEmpty(t *testing.T) {
	ctx := context.Background()
	kv := openKV(t, t.TempDir())
	defer kv.Shutdown(ctx)
	uc := silicaconfig.Default()
	uc.Backend = "cpu"
	ix := newIndex(t, kv, uc)
	defer ix.Shutdown(ctx)
	ids, dists, err := ix.SearchByVector(ctx, []float32{1, 2}, 5, nil)
	if err != nil || len(ids) != 0 || len(dists) != 0 {
		t.Fatalf("empty index: %d hits, error %v", len(ids), err)
	}
	ids, _, err = ix.SearchByVectorDistance(ctx, []float32{1, 2}, 0.5, -1, nil)
	if err != nil || len(ids) != 0 {
		t.Fatalf("empty index, distance search: %d hits, error %v", len(ids), err)
	}
	if ix.ContainsDoc(0) {
		t.Fatalf("empty index contains doc 0")
	}
	if ix.Type() != "silica" || ix.Compressed() || ix.Multivector() {
		t.Fatalf("Type %q, Compressed %v, Multivector %v", ix.Type(), ix.Compressed(), ix.Multivector())
	}
}
