package store

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/silica-go/silica/engine"
)

// snapshot is everything observable about a store, to show that a failed
// call changed nothing.
func snapshot(t *testing.T, s *Store, ids []int64, queries [][]float32) string {
	t.Helper()
	var b strings.Builder
	st := s.Stats()
	st.MaintenanceError = ""
	fmt.Fprintf(&b, "len %d stats %+v\n", s.Len(), st)
	for _, id := range ids {
		v, err := s.Get(id)
		fmt.Fprintf(&b, "get %d: %v %v\n", id, v, err)
	}
	res, err := s.SearchBatch(queries, 1000)
	fmt.Fprintf(&b, "search: %v %v\n", res, err)
	return b.String()
}

// TestBadInputChangesNothing runs on the CPU (rows checked on the host)
// and the device-like backend (rows checked by their norms on the device,
// the host naming the bad one).
func TestBadInputChangesNothing(t *testing.T) {
	for _, e := range []*engine.Engine{engine.New("cpu", newCPU()), engine.New("device-like", deviceLike{newCPU()})} {
		badInputChangesNothing(t, e)
	}
}

func badInputChangesNothing(t *testing.T, e *engine.Engine) {
	for _, dt := range allDTypes {
		for _, m := range allMetrics {
			r := rand.New(rand.NewPCG(8, 8))
			s := newStore(t, Options{Dim: 4, Metric: m, DType: dt, SegmentRows: 8, MemoryGB: 1e-6, Engine: e})
			want := fill(t, s, r, 20)
			ids := append(want.ids(), -1)
			queries := randVectors(r, 2, 4)
			before := snapshot(t, s, ids, queries)
			ok := []float32{1, 2, 3, 4}
			nan := float32(math.NaN())
			inf := float32(math.Inf(-1))
			type call struct {
				name, want string
				do         func() error
			}
			calls := []call{
				{"short vector", "has 3 values; the store's dimension is 4", func() error {
					return s.Add([]int64{1000, 1001}, [][]float32{ok, {1, 2, 3}})
				}},
				{"long vector", "has 5 values", func() error { _, err := s.Append([][]float32{{1, 2, 3, 4, 5}}); return err }},
				{"NaN", "has NaN at index 2", func() error { return s.Add([]int64{1000}, [][]float32{{1, 2, nan, 4}}) }},
				{"Inf", "has -Inf at index 0", func() error { return s.Add([]int64{ids[0]}, [][]float32{{inf, 2, 3, 4}}) }},
				{"ids and vectors", "2 ids for 1 vectors", func() error { return s.Add([]int64{1, 2}, [][]float32{ok}) }},
				{"duplicate id", "id 1000 appears twice in the batch (vectors 0 and 2)", func() error {
					return s.Add([]int64{1000, 1001, 1000}, [][]float32{ok, ok, ok})
				}},
				{"budget", "needs", func() error { _, err := s.Append(randVectors(r, 100, 4)); return err }},
				{"k = 0", "k = 0; want k >= 1", func() error { _, err := s.Search(ok, 0); return err }},
				{"k < 0", "k = -3", func() error { _, err := s.SearchBatch([][]float32{ok}, -3); return err }},
				{"query dim", "query 1 has 2 values", func() error { _, err := s.SearchBatch([][]float32{ok, {1, 2}}, 3); return err }},
				{"query NaN", "query 0 has NaN", func() error { _, err := s.Search([]float32{nan, 0, 0, 0}, 3); return err }},
				{"range bound", "bound NaN", func() error { _, err := s.SearchRange(ok, nan); return err }},
				{"range query", "query 0 has 3 values", func() error { _, err := s.SearchRange(ok[:3], 1); return err }},
			}
			if m == Cosine {
				calls = append(calls,
					call{"zero vector", "vector 1 (id 1001) is all zeros", func() error {
						return s.Add([]int64{1000, 1001}, [][]float32{ok, {0, 0, 0, 0}})
					}},
					call{"zero query", "query 0 is all zeros", func() error { _, err := s.Search([]float32{0, 0, 0, 0}, 1); return err }})
			}
			if dt == engine.Float16 && m != Cosine {
				calls = append(calls, call{"float16 overflow", "beyond float16's range", func() error {
					return s.Add([]int64{1000}, [][]float32{{1, 2, 7e4, 4}})
				}})
			}
			for _, c := range calls {
				err := c.do()
				if err == nil || !strings.Contains(err.Error(), c.want) {
					t.Errorf("%s: %s %s %s: error %v; want one containing %q", e.Name(), dt, m, c.name, err, c.want)
				}
				if err != nil && strings.Contains(err.Error(), "\n") {
					t.Errorf("%s %s %s: error spans lines: %q", dt, m, c.name, err)
				}
				if after := snapshot(t, s, ids, queries); after != before {
					t.Fatalf("%s: %s %s %s changed the store:\nbefore %s\nafter  %s", e.Name(), dt, m, c.name, before, after)
				}
			}
		}
	}
}

func TestBudgetNamesTheNumbers(t *testing.T) {
	// 10 rows of 4 float32 + an 8-byte id = 24 bytes each.
	s := newStore(t, Options{Dim: 4, Metric: Dot, MemoryGB: 250e-9})
	r := rand.New(rand.NewPCG(1, 1))
	if _, err := s.Append(randVectors(r, 10, 4)); err != nil {
		t.Fatal(err)
	}
	if st := s.Stats(); st.UsedBytes != 240 || st.BudgetBytes != 250 {
		t.Fatalf("stats %+v; want 240 used of 250", st)
	}
	_, err := s.Append(randVectors(r, 1, 4))
	want := "store: append of 1 rows needs 24 bytes (24 B), 240 bytes (240 B) are used, the budget is 250 bytes (250 B)"
	if err == nil || err.Error() != want {
		t.Fatalf("over budget: %v\nwant %s", err, want)
	}
	if _, err := s.Delete(0); err != nil {
		t.Fatal(err)
	}
	_, err = s.Append(randVectors(r, 1, 4))
	if err == nil || !strings.Contains(err.Error(), "24 bytes are deleted rows that Compact frees") {
		t.Fatalf("over budget with a deleted row: %v", err)
	}
	if err := s.Compact(); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Append(randVectors(r, 1, 4)); err != nil {
		t.Fatalf("after Compact the row fits: %v", err)
	}
}

func TestOptionErrors(t *testing.T) {
	for _, c := range []struct {
		o    Options
		want string
	}{
		{Options{Backend: "cpu"}, "dimension 0; want Dim > 0"},
		{Options{Dim: -2, Backend: "cpu"}, "dimension -2"},
		{Options{Dim: 4, Metric: 9, Backend: "cpu"}, "unknown metric metric(9)"},
		{Options{Dim: 4, DType: engine.Int32, Backend: "cpu"}, "storage dtype int32 is not supported"},
		{Options{Dim: 4, DType: engine.BFloat16, Backend: "cpu"}, "storage dtype bfloat16 is not supported"},
		{Options{Dim: 4, Backend: "nosuch"}, `unknown backend "nosuch"`},
		{Options{Dim: 4, Backend: "cpu", Device: "7"}, `open "cpu:7"`},
		{Options{Dim: 4, Device: "7"}, "without a Backend"},
		{Options{Dim: 4, Backend: "cpu", MemoryGB: -1}, "memory budget -1 GB"},
		{Options{Dim: 4, Backend: "cpu", MemoryGB: math.NaN()}, "memory budget NaN GB"},
		{Options{Dim: 4, Backend: "cpu", SegmentRows: -1}, "SegmentRows -1"},
	} {
		s, err := New(c.o)
		if err == nil {
			s.Close()
		}
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("New(%+v): %v; want an error containing %q", c.o, err, c.want)
		}
	}
	for _, c := range []struct{ in, want string }{{"cosin", `unknown metric "cosin"`}, {"", `unknown metric ""`}} {
		if _, err := ParseMetric(c.in); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("ParseMetric(%q): %v", c.in, err)
		}
	}
	for _, c := range []string{"f64", "int32", "bf16", ""} {
		if _, err := ParseDType(c); err == nil || !strings.Contains(err.Error(), "unknown storage dtype") {
			t.Errorf("ParseDType(%q): %v", c, err)
		}
	}
	for in, want := range map[string]engine.DType{"f32": engine.Float32, "f16": engine.Float16, "i8": engine.Int8, "float32": engine.Float32} {
		if got, err := ParseDType(in); err != nil || got != want {
			t.Errorf("ParseDType(%q) = %v, %v", in, got, err)
		}
	}
}

func TestSmallAddsKeepFewSegments(t *testing.T) {
	s := newStore(t, Options{Dim: 3, SegmentRows: 64})
	r := rand.New(rand.NewPCG(3, 3))
	for range 300 {
		if _, err := s.Append(randVectors(r, 1, 3)); err != nil {
			t.Fatal(err)
		}
	}
	// 4 full segments of 64 and the 44 left as a binary counter (32+8+4).
	if st := s.Stats(); st.Segments > 300/64+7 || st.Count != 300 {
		t.Errorf("300 single adds left %+v; want at most %d segments", st, 300/64+7)
	}
}
