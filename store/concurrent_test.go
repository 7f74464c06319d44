package store

import (
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"
)

// TestConcurrentSearchesAndWrites runs searches beside adds, upserts and
// deletes. Every vector of a batch is a copy of one vector, and batches
// are written and deleted whole, so a search that saw part of a write
// would find a batch's id range partly present: a torn read. Two of the
// searchers share one AllowIDs filter of the even batches (its bitmaps
// kept between searches while the store is unchanged). A store of 3
// shards spreads each batch of new ids over them.
func TestConcurrentSearchesAndWrites(t *testing.T) {
	for _, shards := range []int{0, 3} {
		t.Run(fmt.Sprintf("shards=%d", shards), func(t *testing.T) {
			testConcurrent(t, Options{Dim: 6, Metric: Dot, SegmentRows: 32, Shards: shards})
		})
	}
}

func testConcurrent(t *testing.T, o Options) {
	const batch = 10
	d := o.Dim
	s := newStore(t, o)
	r := rand.New(rand.NewPCG(11, 11))
	base := randVectors(r, 1, d)[0]
	vecs := make([][]float32, batch)
	for i := range vecs {
		vecs[i] = base
	}
	ids := func(b int) []int64 {
		out := make([]int64, batch)
		for i := range out {
			out[i] = int64(b*batch + i)
		}
		return out
	}
	var even []int64
	for b := 0; b < 60; b += 2 {
		even = append(even, ids(b)...)
	}
	evenOnly := AllowIDs(even...)
	var wg sync.WaitGroup
	stop := make(chan struct{})
	errs := make(chan error, 16)
	for w := range 3 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for n := 0; ; n++ {
				select {
				case <-stop:
					return
				default:
				}
				f := Filter{}
				if w > 0 {
					f = evenOnly
				}
				hits, err := s.SearchFiltered(base, 1<<20, f)
				if err != nil {
					errs <- err
					return
				}
				count := map[int64]int{}
				for _, h := range hits {
					count[h.ID/batch]++
				}
				for b, c := range count {
					if c != batch {
						errs <- fmt.Errorf("searcher %d: batch %d has %d of %d rows: a torn read", w, b, c, batch)
						return
					}
					if w > 0 && b%2 != 0 {
						errs <- fmt.Errorf("searcher %d: batch %d passed a filter of the even batches", w, b)
						return
					}
				}
				if n%5 == 0 {
					st := s.Stats()
					if st.Count%batch != 0 {
						errs <- fmt.Errorf("searcher %d: Stats counts %d rows", w, st.Count)
						return
					}
				}
			}
		}()
	}
	for b := range 60 {
		if err := s.Add(ids(b), vecs); err != nil {
			t.Fatal(err)
		}
		if b%3 == 0 {
			if err := s.Add(ids(b/2), vecs); err != nil { // upsert a batch whole
				t.Fatal(err)
			}
		}
		if b%4 == 1 {
			if _, err := s.Delete(ids(b - 1)...); err != nil {
				t.Fatal(err)
			}
		}
	}
	close(stop)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}
