package store

import (
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"testing"

	"github.com/silica-go/silica/cpu"
	"github.com/silica-go/silica/engine"
)

// deviceLike is the CPU backend without engine.HostWrapper: arrays are
// copies, as on a discrete GPU, so the store keeps no host rows and takes
// its device paths (merges read back, compaction gathers on the device,
// Open copies the mapped rows).
type deviceLike struct{ b *cpu.Backend }

func (d deviceLike) Device() engine.DeviceInfo                      { return d.b.Device() }
func (d deviceLike) Alloc(n int) (engine.Buffer, error)             { return d.b.Alloc(n) }
func (d deviceLike) Free(b engine.Buffer)                           { d.b.Free(b) }
func (d deviceLike) Write(b engine.Buffer, off int, p []byte) error { return d.b.Write(b, off, p) }
func (d deviceLike) Read(b engine.Buffer, off int, p []byte) error  { return d.b.Read(b, off, p) }
func (d deviceLike) Run(p *engine.Plan, bufs []engine.Buffer) error { return d.b.Run(p, bufs) }
func (d deviceLike) Synchronize() error                             { return nil }
func (d deviceLike) Close() error                                   { return nil }
func (d deviceLike) MemoryInUse() int64                             { return d.b.MemoryInUse() }
func (d deviceLike) Supports(op engine.Op, a *engine.Attrs, in []engine.Value) bool {
	return d.b.Supports(op, a, in)
}

func TestDeviceMemoryPaths(t *testing.T) {
	e := engine.New("device-like", deviceLike{newCPU()})
	for _, m := range allMetrics {
		for _, dt := range allDTypes {
			name := fmt.Sprintf("%s/%s", m, dt)
			r := rand.New(rand.NewPCG(21, uint64(m)*3+uint64(dt)))
			s := newStore(t, Options{Dim: 12, Metric: m, DType: dt, SegmentRows: 40, Engine: e})
			if s.inPlace {
				t.Fatal("the device-like backend was taken for one that uses host memory")
			}
			want := fill(t, s, r, 300)
			more := randVectors(r, 30, 12)
			added, err := s.Append(more) // sequential ids: merges by concatenation
			if err != nil {
				t.Fatal(err)
			}
			ids := want.ids()
			want.del(t, s, ids[:120]...)
			for i, id := range added {
				want[id] = more[i]
			}
			q := randVectors(r, 3, 12)
			for _, k := range []int{1, 17, 500} {
				res, err := s.SearchBatch(q, k)
				if err != nil {
					t.Fatal(err)
				}
				for i := range q {
					checkHits(t, fmt.Sprintf("%s k=%d", name, k), m, dt, want, nil, q[i], k, res[i])
				}
			}
			dir := filepath.Join(t.TempDir(), "s")
			if err := s.Save(dir); err != nil {
				t.Fatal(err)
			}
			o, err := Open(dir, Options{Engine: e})
			if err != nil {
				t.Fatal(err)
			}
			if st := o.Stats(); st.MappedBytes != 0 {
				t.Errorf("%s: a store opened on a device backend holds %d mapped bytes", name, st.MappedBytes)
			}
			if a, b := results(t, s, q, 50), results(t, o, q, 50); a != b {
				t.Fatalf("%s: opened store answers differently", name)
			}
			o.Close()
		}
	}
}

// TestDeviceAddScalesAndGrows adds, on the device-like backend, rows the
// device's norm check sends to the host (tiny and huge rows under Cosine,
// valid: stored as unit rows) among ordinary ones, in many small adds, and
// checks the answers and that the arena's memory stays within 1.05 x the
// rows plus 64 MiB.
func TestDeviceAddScalesAndGrows(t *testing.T) {
	e := engine.New("device-like", deviceLike{newCPU()})
	for _, dt := range allDTypes {
		r := rand.New(rand.NewPCG(4, uint64(dt)))
		s := newStore(t, Options{Dim: 9, Metric: Cosine, DType: dt, Engine: e})
		want := model{}
		for b := range 40 {
			vecs := randVectors(r, 1+r.IntN(50), 9)
			if b%7 == 3 {
				for j := range vecs[0] {
					vecs[0][j] *= 1e-30
				}
				for j := range vecs[len(vecs)-1] {
					vecs[len(vecs)-1][j] *= 1e30
				}
			}
			ids, err := s.Append(vecs)
			if err != nil {
				t.Fatal(err)
			}
			for i, id := range ids {
				want[id] = vecs[i]
			}
		}
		for _, q := range randVectors(r, 3, 9) {
			for _, k := range []int{1, 10, 2000} {
				checkHits(t, fmt.Sprintf("%s k=%d", dt, k), Cosine, dt, want, nil, q, k, must(s.Search(q, k)))
			}
		}
		st := s.Stats()
		if rows := int64(st.Count) * int64(s.rowBytes()-8); st.DeviceBytes > rows+rows/20+64<<20 || st.DeviceBytes < rows {
			t.Errorf("%s: %d rows of %d bytes held in %d device bytes; want at most 1.05 x plus 64 MiB", dt, st.Count, s.rowBytes()-8, st.DeviceBytes)
		}
	}
}

// TestLargeSearchMapsOnDevice runs, at the default mapOnDeviceMin (the
// other tests lower it to 1), searches of the device-like backend on both
// sides of it: batches whose results (queries times k plus tieSlack) reach it map
// their rows to ids on the device, smaller ones on the host. Among them
// are filtered searches with fewer passing rows than k, whose scans
// return a masked row after the passing ones, and deleted rows.
func TestLargeSearchMapsOnDevice(t *testing.T) {
	defer func(v int) { mapOnDeviceMin = v }(mapOnDeviceMin)
	mapOnDeviceMin = mapOnDeviceDefault
	e := engine.New("device-like", deviceLike{newCPU()})
	for _, dt := range allDTypes {
		r := rand.New(rand.NewPCG(61, uint64(dt)))
		s := newStore(t, Options{Dim: 16, Metric: Dot, DType: dt, Engine: e})
		want := fill(t, s, r, 7000)
		ids := want.ids()
		want.del(t, s, ids[:500]...)
		allow := map[int64]bool{}
		for _, id := range ids[500:1400] {
			allow[id] = true
		}
		queries := randVectors(r, 20, 16)
		// Results (queries times k plus tieSlack) on the device's side of
		// mapOnDeviceDefault: 2500, 2000 and 300; on the host's: 10, 50
		// and one query at 1500 filtered, whose 900 passing rows are fewer
		// than k (its scan returns masked rows after them, which the host
		// must drop).
		for _, c := range []struct {
			k, m   int // m: queries, 0 for all
			filter bool
		}{{2500, 0, false}, {10, 0, false}, {2000, 0, true}, {300, 0, true}, {50, 0, true}, {1500, 1, true}} {
			f := Filter{}
			var pass func(int64) bool
			if c.filter {
				f, pass = AllowIDs(ids[500:1400]...), func(id int64) bool { return allow[id] }
			}
			qs := queries
			if c.m > 0 {
				qs = queries[:c.m]
			}
			res, err := s.SearchBatchFiltered(qs, c.k, f)
			if err != nil {
				t.Fatal(err)
			}
			for i, q := range qs {
				checkHits(t, fmt.Sprintf("%s k=%d filtered %t query %d", dt, c.k, c.filter, i), Dot, dt, want, pass, q, c.k, res[i])
			}
		}
	}
}

// TestBatchHitsApart checks that the hits of a batch's queries share no
// memory a caller's append reaches: each query's hits are appended to up
// to past their capacity, and no other query's hits change. On the
// device-like backend (the tests build its hits in a hitSlab, one
// allocation for every query) and the CPU's, with one arena and several.
func TestBatchHitsApart(t *testing.T) {
	for _, c := range []struct {
		name string
		e    *engine.Engine
		seg  int
	}{
		{"device-like", engine.New("device-like", deviceLike{newCPU()}), 0},
		{"device-like, arenas of 90 rows", engine.New("device-like", deviceLike{newCPU()}), 90},
		{"cpu", engine.New("cpu", newCPU()), 0},
		{"cpu, arenas of 90 rows", engine.New("cpu", newCPU()), 90},
	} {
		r := rand.New(rand.NewPCG(71, uint64(c.seg)))
		s := newStore(t, Options{Dim: 8, Metric: Cosine, SegmentRows: c.seg, Engine: c.e})
		fill(t, s, r, 400)
		q := randVectors(r, 6, 8)
		for _, k := range []int{1, 5, 77} {
			res, err := s.SearchBatch(q, k)
			if err != nil {
				t.Fatal(err)
			}
			was := make([][]Hit, len(res))
			for i, h := range res {
				was[i] = slices.Clone(h)
			}
			for i := range res {
				for range cap(res[i]) - len(res[i]) + 1 {
					res[i] = append(res[i], Hit{ID: -1 - int64(i)})
				}
			}
			for i := range res {
				if !slices.Equal(res[i][:len(was[i])], was[i]) {
					t.Fatalf("%s k=%d: query %d's hits changed when the others' were appended to", c.name, k, i)
				}
			}
		}
	}
}
