package store

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/silica-go/silica/engine"
)

// warmLike is deviceLike with engine.Warmer, as CUDA has: it records the
// plans it is asked to warm and the plans it runs, and fails Warm with
// fail when set.
type warmLike struct {
	deviceLike
	mu     sync.Mutex
	warmed map[*engine.Plan]bool
	ran    []*engine.Plan
	fail   error
}

func (w *warmLike) Warm(p *engine.Plan) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.fail != nil {
		return w.fail
	}
	w.warmed[p] = true
	return nil
}

func (w *warmLike) Run(p *engine.Plan, bufs []engine.Buffer) error {
	w.mu.Lock()
	w.ran = append(w.ran, p)
	w.mu.Unlock()
	return w.deviceLike.Run(p, bufs)
}

// notWarmed returns the plans run since the last call that were never
// warmed.
func (w *warmLike) notWarmed() []*engine.Plan {
	w.mu.Lock()
	defer w.mu.Unlock()
	var cold []*engine.Plan
	for _, p := range w.ran {
		if !w.warmed[p] {
			cold = append(cold, p)
		}
	}
	w.ran = nil
	return cold
}

// TestWarmOnOpen opens saved stores (every metric and dtype, plain and
// in 3 shards) on a backend that compiles on first use and checks that
// Open's background Warm planned exactly the scans that the searches of
// WarmK and WarmBatches then run (the engine finds the warmed plan, so
// its kernels are ready), that another k is not warmed (the check can
// fail), and that the hits are those of the same store on the plain CPU.
func TestWarmOnOpen(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 31))
	const n, d = 333, 24
	vecs := randVectors(r, n, d)
	for _, m := range allMetrics {
		for _, dt := range allDTypes {
			dir := filepath.Join(t.TempDir(), "s")
			src := newStore(t, Options{Dim: d, Metric: m, DType: dt, SegmentRows: 120, Backend: "cpu"})
			if _, err := src.Append(vecs); err != nil {
				t.Fatal(err)
			}
			if err := src.Save(dir); err != nil {
				t.Fatal(err)
			}
			for _, shards := range []int{0, 3} {
				name := fmt.Sprintf("%s/%s/shards=%d", m, dt, shards)
				w := &warmLike{deviceLike: deviceLike{newCPU()}, warmed: map[*engine.Plan]bool{}}
				s, err := Open(dir, Options{Engine: engine.New("warm-like", w), Shards: shards})
				if err != nil {
					t.Fatalf("%s: %v", name, err)
				}
				if s.warmed == nil {
					t.Fatalf("%s: Open started no Warm", name)
				}
				<-s.warmed
				if st := s.Stats(); st.MaintenanceError != "" {
					t.Fatalf("%s: %s", name, st.MaintenanceError)
				}
				w.notWarmed() // Open's own work
				for _, k := range append(slices.Clone(WarmK), 7) {
					for _, b := range WarmBatches {
						queries := randVectors(r, b, d)
						got, err := s.SearchBatch(queries, k)
						if err != nil {
							t.Fatalf("%s: %v", name, err)
						}
						cold := w.notWarmed()
						if warm := slices.Contains(WarmK, k); warm != (len(cold) == 0) {
							t.Errorf("%s: k=%d, %d queries: %d of the plans run were not warmed", name, k, b, len(cold))
						}
						want, err := src.SearchBatch(queries, k)
						if err != nil {
							t.Fatal(err)
						}
						for i := range want {
							if !sameHits(got[i], want[i]) {
								t.Fatalf("%s: k=%d query %d: hits %v, want %v", name, k, i, got[i], want[i])
							}
						}
					}
				}
				if err := s.Close(); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
}

// TestWarmErrors checks Warm's refusals, an empty store, a closed one, a
// backend's compile error kept as the store's maintenance error, and a
// backend that does not compile (no background work).
func TestWarmErrors(t *testing.T) {
	w := &warmLike{deviceLike: deviceLike{newCPU()}, warmed: map[*engine.Plan]bool{}}
	s := newStore(t, Options{Dim: 8, Engine: engine.New("warm-like", w)})
	for _, c := range []struct {
		k     int
		batch []int
		want  string
	}{
		{0, []int{1}, "store: warm: k = 0; want k >= 1"},
		{10, []int{1, 0}, "store: warm: a batch of 0 queries; want at least 1"},
	} {
		if err := s.Warm(c.k, c.batch...); err == nil || err.Error() != c.want {
			t.Errorf("Warm(%d, %v): %v, want %q", c.k, c.batch, err, c.want)
		}
	}
	if err := s.Warm(10, 1); err != nil || len(w.warmed) != 0 {
		t.Errorf("an empty store: %v, %d plans warmed", err, len(w.warmed))
	}
	r := rand.New(rand.NewPCG(2, 3))
	if _, err := s.Append(randVectors(r, 50, 8)); err != nil {
		t.Fatal(err)
	}
	if err := s.Warm(5, 1, 3); err != nil || len(w.warmed) != 2 {
		t.Errorf("after adding: %v, %d plans warmed, want 2", err, len(w.warmed))
	}
	dir := filepath.Join(t.TempDir(), "s")
	if err := s.Save(dir); err != nil {
		t.Fatal(err)
	}
	s.Close()
	if err := s.Warm(10, 1); !errors.Is(err, ErrClosed) {
		t.Errorf("a closed store: %v", err)
	}

	w.fail = errors.New("cuda: compile topk_x: out of registers")
	o, err := Open(dir, Options{Engine: engine.New("warm-like", w)})
	if err != nil {
		t.Fatal(err)
	}
	<-o.warmed
	if st := o.Stats(); !strings.Contains(st.MaintenanceError, "warm") || !strings.Contains(st.MaintenanceError, "out of registers") {
		t.Errorf("maintenance error %q, want the warm's compile error", st.MaintenanceError)
	}
	if hits, err := o.Search([]float32{1, 2, 3, 4, 5, 6, 7, 8}, 3); err != nil || len(hits) != 3 {
		t.Errorf("search after a failed warm: %v, %v", hits, err)
	}
	o.Close()

	c, err := Open(dir, Options{Backend: "cpu"})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	<-c.warmed // closed at once: nothing to compile
}

// TestWarmFiltered checks that WarmFiltered plans the filtered searches
// (whose scans read a bitmap) that Warm alone does not: after Warm only,
// a filtered search runs a plan never warmed; after WarmFiltered with
// another filter of the same store, none, and the hits are those of the
// plain CPU store. A filter that passes nothing warms nothing.
func TestWarmFiltered(t *testing.T) {
	r := rand.New(rand.NewPCG(36, 5))
	const n, d = 517, 40
	vecs := randVectors(r, n, d)
	for _, dt := range allDTypes {
		w := &warmLike{deviceLike: deviceLike{newCPU()}, warmed: map[*engine.Plan]bool{}}
		s := newStore(t, Options{Dim: d, DType: dt, Engine: engine.New("warm-like", w)})
		ref := newStore(t, Options{Dim: d, DType: dt, Backend: "cpu"})
		ids := make([]int64, n)
		for i := range ids {
			ids[i] = r.Int64()
		}
		for _, st := range []*Store{s, ref} {
			if err := st.Add(ids, vecs); err != nil {
				t.Fatal(err)
			}
		}
		if err := s.WarmFiltered(5, AllowIDs(), 1); err != nil || len(w.warmed) != 0 {
			t.Fatalf("%s: a filter passing nothing: %v, %d plans warmed", dt, err, len(w.warmed))
		}
		if err := s.Warm(10, 1, 64); err != nil {
			t.Fatal(err)
		}
		w.notWarmed()
		f := AllowIDs(ids[:n/3]...)
		for i, warm := range []bool{false, true} {
			if warm {
				if err := s.WarmFiltered(10, AllowIDs(ids[n/2:]...), 1, 64); err != nil {
					t.Fatal(err)
				}
				w.notWarmed()
			}
			for _, m := range []int{1, 64} {
				queries := randVectors(r, m, d)
				got, err := s.SearchBatchFiltered(queries, 10, f)
				if err != nil {
					t.Fatal(err)
				}
				if cold := w.notWarmed(); warm != (len(cold) == 0) {
					t.Errorf("%s: round %d, %d queries: %d of the plans run were not warmed", dt, i, m, len(cold))
				}
				want, err := ref.SearchBatchFiltered(queries, 10, f)
				if err != nil {
					t.Fatal(err)
				}
				for q := range want { // the CPU store's filtered path sums in another order
					ok := len(got[q]) == len(want[q])
					for j := 0; ok && j < len(want[q]); j++ {
						ok = got[q][j].ID == want[q][j].ID && math.Abs(float64(got[q][j].Score-want[q][j].Score)) <= 1e-5
					}
					if !ok {
						t.Fatalf("%s: query %d: hits %v, want %v", dt, q, got[q], want[q])
					}
				}
			}
		}
	}
}
