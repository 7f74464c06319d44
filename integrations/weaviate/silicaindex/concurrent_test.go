package silicaindex_test

import (
	"context"
	"math/rand/v2"
	"sync"
	"testing"

	"github.com/silica-go/silica/integrations/weaviate/silicaconfig"
)

// TestConcurrent runs searches beside adds, upserts and deletes, as
// Weaviate's workers do: every search must return distinct ids, best first,
// and the index must end as the writes left it.
func TestConcurrent(t *testing.T) {
	const dim, writers, rounds = 8, 2, 60
	ctx := context.Background()
	kv := openKV(t, t.TempDir())
	defer kv.Shutdown(ctx)
	uc := silicaconfig.Default()
	uc.Backend = "cpu"
	ix := newIndex(t, kv, uc)
	defer ix.Shutdown(ctx)
	ref := &reference{distance: uc.Distance, vecs: map[uint64][]float32{}}
	var refMu sync.Mutex

	var wg sync.WaitGroup
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(w), 1))
			for r := range rounds {
				// Each writer owns the ids w, w+writers, ...: adds, upserts
				// and deletes of one writer never race another's.
				id := uint64(w + writers*rng.IntN(40))
				v := randVec(rng, dim)
				if r%5 == 4 {
					if err := ix.Delete(id); err != nil {
						t.Errorf("Delete: %v", err)
						return
					}
					refMu.Lock()
					delete(ref.vecs, id)
					refMu.Unlock()
					continue
				}
				if err := ix.Add(ctx, id, v); err != nil {
					t.Errorf("Add: %v", err)
					return
				}
				refMu.Lock()
				ref.vecs[id] = v
				refMu.Unlock()
			}
		}()
	}
	for s := range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(s), 2))
			for range rounds {
				ids, dists, err := ix.SearchByVector(ctx, randVec(rng, dim), 10, nil)
				if err != nil {
					t.Errorf("SearchByVector: %v", err)
					return
				}
				seen := map[uint64]bool{}
				for i, id := range ids {
					if seen[id] || i > 0 && dists[i] < dists[i-1] {
						t.Errorf("search during writes: ids %v distances %v: an id twice or out of order", ids, dists)
						return
					}
					seen[id] = true
				}
			}
		}()
	}
	wg.Wait()
	rng := rand.New(rand.NewPCG(9, 9))
	checkAll(t, "after concurrent writes", ix, ref, rng, dim)
}
