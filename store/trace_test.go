package store

import (
	"bytes"
	"math/rand/v2"
	"runtime/trace"
	"testing"

	"github.com/silica-go/silica/engine"
	"github.com/silica-go/silica/internal/testenv"
)

// TestSearchTraceRegions checks that a search marks its phases as regions
// of a Go execution trace (runtime/trace, which cmd/cudabench -gotrace
// records and bench/cuda/scripts/gotrace_regions.py reads): store.upload,
// store.build, store.eval, store.slabwait and store.collect on every
// backend, and store.slab, the goroutine that faults in the hits' memory
// while the device scans, on a device for slabMin hits or more (queries
// times k) and not below.
func TestSearchTraceRegions(t *testing.T) {
	if trace.IsEnabled() {
		t.Log("a trace is already running: this test records its own")
		testenv.SkipBecause(t, "go test -trace")
	}
	defer func(v int) { slabMin = v }(slabMin)
	slabMin = 1 << 10
	phases := []string{"store.upload", "store.build", "store.eval", "store.slabwait", "store.collect"}
	for _, c := range []struct {
		name string
		be   engine.Backend
		m, k int
		slab bool
	}{
		{"cpu", newCPU(), 8, 300, false},
		{"device-like", deviceLike{newCPU()}, 8, 100, false}, // 808 hits (k + tieSlack a query)
		{"device-like", deviceLike{newCPU()}, 4, 300, true},  // 1208
		{"device-like", deviceLike{newCPU()}, 1, 1024, true},
	} {
		r := rand.New(rand.NewPCG(7, uint64(c.m*c.k)))
		s := newStore(t, Options{Dim: 24, Engine: engine.New(c.name, c.be)})
		if _, err := s.Append(randVectors(r, 3000, 24)); err != nil { // one arena
			t.Fatal(err)
		}
		var buf bytes.Buffer
		if err := trace.Start(&buf); err != nil {
			t.Fatal(err)
		}
		_, err := s.SearchBatch(randVectors(r, c.m, 24), c.k)
		trace.Stop()
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range phases {
			if !bytes.Contains(buf.Bytes(), []byte(p)) {
				t.Errorf("%s, %d queries at k = %d: no region %s in the trace", c.name, c.m, c.k, p)
			}
		}
		// A trace names each region once; store.slabwait holds store.slab.
		if got := bytes.Count(buf.Bytes(), []byte("store.slab")) > bytes.Count(buf.Bytes(), []byte("store.slabwait")); got != c.slab {
			t.Errorf("%s, %d queries at k = %d: region store.slab in the trace %v, want %v", c.name, c.m, c.k, got, c.slab)
		}
	}
}
