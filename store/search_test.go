package store

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/silica-go/silica/engine"
	"github.com/silica-go/silica/engine/backendtest"
)

// fill adds n random vectors with random ids in batches of assorted sizes
// (so that segments are made, merged and split) and returns the model.
func fill(t *testing.T, s *Store, r *rand.Rand, n int) model {
	t.Helper()
	want := model{}
	ids := randIDs(r, n)
	vecs := randVectors(r, n, s.Dim())
	for lo := 0; lo < n; {
		hi := min(n, lo+1+r.IntN(n/3+1))
		if err := s.Add(ids[lo:hi], vecs[lo:hi]); err != nil {
			t.Fatal(err)
		}
		for i := lo; i < hi; i++ {
			want[ids[i]] = vecs[i]
		}
		lo = hi
	}
	if s.Len() != n {
		t.Fatalf("Len = %d after adding %d", s.Len(), n)
	}
	return want
}

func TestSearchMatchesReference(t *testing.T) {
	const d = 37
	for _, m := range allMetrics {
		for _, dt := range allDTypes {
			for _, n := range []int{1, 2, 257, 1031} {
				name := fmt.Sprintf("%s/%s/n=%d", m, dt, n)
				r := rand.New(rand.NewPCG(uint64(n), uint64(m)*7+uint64(dt)))
				s := newStore(t, Options{Dim: d, Metric: m, DType: dt, SegmentRows: 100})
				want := fill(t, s, r, n)
				queries := randVectors(r, 3, d)
				for _, k := range []int{1, 10, n, n + 5} {
					res, err := s.SearchBatch(queries, k)
					if err != nil {
						t.Fatalf("%s k=%d: %v", name, k, err)
					}
					for i, q := range queries {
						checkHits(t, fmt.Sprintf("%s k=%d query %d", name, k, i), m, dt, want, nil, q, k, res[i])
					}
					one, err := s.Search(queries[1], k)
					if err != nil {
						t.Fatal(err)
					}
					if fmt.Sprint(one) != fmt.Sprint(res[1]) {
						t.Fatalf("%s k=%d: Search and SearchBatch differ:\n%v\n%v", name, k, one, res[1])
					}
				}
			}
		}
	}
}

// TestRecallOfNarrowTypes reports recall@10 of float16 and int8 storage
// against the exact float64 answer over the original vectors, and bounds
// it.
func TestRecallOfNarrowTypes(t *testing.T) {
	const n, d, nq, k = 3000, 96, 50, 10
	bound := map[engine.DType]float64{engine.Float32: 1, engine.Float16: 0.98, engine.Int8: 0.95}
	for _, m := range allMetrics {
		r := rand.New(rand.NewPCG(5, uint64(m)))
		ids := randIDs(r, n)
		vecs := randVectors(r, n, d)
		want := model{}
		for i, id := range ids {
			want[id] = vecs[i]
		}
		queries := randVectors(r, nq, d)
		for _, dt := range allDTypes {
			s := newStore(t, Options{Dim: d, Metric: m, DType: dt, SegmentRows: 1000})
			if err := s.Add(ids, vecs); err != nil {
				t.Fatal(err)
			}
			res, err := s.SearchBatch(queries, k)
			if err != nil {
				t.Fatal(err)
			}
			found := 0
			for i, q := range queries {
				exact := map[int64]bool{}
				for _, id := range refTop(m, want, q, k) {
					exact[id] = true
				}
				for _, h := range res[i] {
					if exact[h.ID] {
						found++
					}
				}
			}
			recall := float64(found) / (nq * k)
			t.Logf("%s %s: recall@%d = %.4f (bound %.2f)", m, dt, k, recall, bound[dt])
			if recall < bound[dt] {
				t.Errorf("%s %s: recall@%d = %.4f, below %.2f", m, dt, k, recall, bound[dt])
			}
		}
	}
}

func TestTiesGoToTheSmallerID(t *testing.T) {
	for _, m := range allMetrics {
		for _, dt := range allDTypes {
			s := newStore(t, Options{Dim: 5, Metric: m, DType: dt, SegmentRows: 8})
			r := rand.New(rand.NewPCG(9, 9))
			// 40 copies of one vector under shuffled ids, in several
			// batches (so in several segments), among other vectors.
			same := []float32{1, -2, 3, 0.5, 2}
			ids := randIDs(r, 40)
			for lo := 0; lo < 40; lo += 7 {
				hi := min(40, lo+7)
				vecs := make([][]float32, hi-lo)
				for i := range vecs {
					vecs[i] = same
				}
				if err := s.Add(ids[lo:hi], vecs); err != nil {
					t.Fatal(err)
				}
				if _, err := s.Append(randVectors(r, 3, 5)); err != nil {
					t.Fatal(err)
				}
			}
			sorted := append([]int64(nil), ids...)
			slices.Sort(sorted)
			hits, err := s.Search(same, 12)
			if err != nil {
				t.Fatal(err)
			}
			if m == Dot {
				continue // another vector may score higher under Dot
			}
			for i, h := range hits {
				if h.ID != sorted[i] || h.Score != hits[0].Score {
					t.Fatalf("%s %s: hit %d = %+v; want the tied ids in order %v", m, dt, i, h, sorted[:12])
				}
			}
		}
	}
}

// searchPlan returns the plan a search of queries for the top k through
// filter f would run on s (what it builds, explained, not run).
func searchPlan(t *testing.T, s *Store, queries [][]float32, k int, f Filter) *engine.Plan {
	t.Helper()
	q, err := s.uploadQueries(queries)
	if err != nil {
		t.Fatal(err)
	}
	defer q.Free()
	parts, err := s.parts(k, f)
	defer freeParts(parts)
	if err != nil {
		t.Fatal(err)
	}
	outs, err := s.build(q, parts)
	if err != nil {
		t.Fatal(err)
	}
	p, err := s.e.Explain(outs...)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestExplainIsOneScan(t *testing.T) {
	for _, m := range allMetrics {
		for _, dt := range allDTypes {
			s := newStore(t, Options{Dim: 16, Metric: m, DType: dt})
			r := rand.New(rand.NewPCG(1, 1))
			if _, err := s.Append(randVectors(r, 100, 16)); err != nil {
				t.Fatal(err)
			}
			p := searchPlan(t, s, randVectors(r, 4, 16), 5, Filter{})
			if len(p.Steps) != 1 || p.Steps[0].Op != engine.OpScanTopK {
				t.Errorf("%s %s: search plan is not one scan_topk step:\n%s", m, dt, p)
			}
			if want := dt == engine.Int8; p.Steps[0].Attrs.Quantize != want {
				t.Errorf("%s %s: scan has Quantize=%t:\n%s", m, dt, p.Steps[0].Attrs.Quantize, p)
			}
			if want := m == Cosine; p.Steps[0].Attrs.NormA != want || p.Steps[0].Attrs.NormB {
				t.Errorf("%s %s: scan normalizes queries %t, rows %t; want %t, false:\n%s", m, dt,
					p.Steps[0].Attrs.NormA, p.Steps[0].Attrs.NormB, want, p)
			}
			if !strings.Contains(p.String(), "scan_topk") {
				t.Errorf("plan text %q lacks scan_topk", p)
			}
		}
	}
}

// TestLargeBatch searches batches large enough that the host's work on
// them (checks, scaling, conversion to float16, reading the hits) is
// split over the cores: every hit against float64, and a bad query named
// by its index whichever part of the batch finds it; on the CPU, the
// device-like path (rows added on the device) and the backends named in
// SILICA_STORE_BACKENDS.
func TestLargeBatch(t *testing.T) {
	const d, n, m, k = 131, 301, 1100, 40 // 1100 x 131 values: split over two cores or more
	engines := append([]*engine.Engine{engine.New("cpu", newCPU()), engine.New("device-like", deviceLike{newCPU()})}, backendtest.Named(t, "SILICA_STORE_BACKENDS")...)
	for _, e := range engines {
		defer e.Close()
		for _, metric := range allMetrics {
			for _, dt := range allDTypes {
				r := rand.New(rand.NewPCG(uint64(metric), uint64(dt)))
				s := newStore(t, Options{Dim: d, Metric: metric, DType: dt, Engine: e})
				want := fill(t, s, r, n)
				queries := randVectors(r, m, d)
				res, err := s.SearchBatch(queries, k)
				if err != nil {
					t.Fatal(err)
				}
				for i, q := range queries {
					checkHits(t, fmt.Sprintf("%s %s/%s query %d", e.Name(), metric, dt, i), metric, dt, want, nil, q, k, res[i])
				}
				bad := slices.Clone(queries)
				bad[1050] = slices.Clone(bad[1050])
				bad[1050][7] = float32(math.NaN())
				bad[100] = make([]float32, d) // all zeros: an error under Cosine only
				bad[100][3] = float32(math.Inf(-1))
				_, err = s.SearchBatch(bad, k)
				if err == nil || !strings.Contains(err.Error(), "query 100 has -Inf at index 3") {
					t.Errorf("%s %s/%s: error %v; want query 100's -Inf", e.Name(), metric, dt, err)
				}
			}
		}
	}
}
