package store

import (
	"archive/tar"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/silica-go/silica/engine"
	"github.com/silica-go/silica/store/npy"
)

// results is the store's answer to queries, as text, for comparing two
// stores that must answer the same.
func results(t *testing.T, s *Store, queries [][]float32, k int) string {
	t.Helper()
	res, err := s.SearchBatch(queries, k)
	if err != nil {
		t.Fatal(err)
	}
	return fmt.Sprint(res)
}

// filled makes a store with deleted and replaced rows in several segments.
func filled(t *testing.T, m Metric, dt engine.DType, n int) (*Store, model) {
	t.Helper()
	r := rand.New(rand.NewPCG(uint64(n), uint64(m)+10*uint64(dt)))
	s := newStore(t, Options{Dim: 10, Metric: m, DType: dt, SegmentRows: 64})
	want := fill(t, s, r, n)
	ids := want.ids()
	want.del(t, s, ids[:n/20]...)
	up := ids[n/2 : n/2+3]
	vecs := randVectors(r, 3, 10)
	if err := s.Add(up, vecs); err != nil {
		t.Fatal(err)
	}
	for i, id := range up {
		want[id] = vecs[i]
	}
	return s, want
}

func TestSaveOpenRoundTrip(t *testing.T) {
	for _, m := range allMetrics {
		for _, dt := range allDTypes {
			name := fmt.Sprintf("%s/%s", m, dt)
			s, want := filled(t, m, dt, 300)
			queries := randVectors(rand.New(rand.NewPCG(1, 2)), 4, 10)
			dir := filepath.Join(t.TempDir(), "store")
			if err := s.Save(dir); err != nil {
				t.Fatal(err)
			}
			o, err := Open(dir, Options{Backend: "cpu"})
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			for _, k := range []int{1, 10, 1000} {
				if a, b := results(t, s, queries, k), results(t, o, queries, k); a != b {
					t.Fatalf("%s k=%d: opened store answers differently:\n%s\n%s", name, k, a, b)
				}
			}
			if o.Len() != s.Len() || o.Dim() != 10 || o.Metric() != m || o.DType() != dt {
				t.Fatalf("%s: opened store has %d rows, dim %d, %s %s", name, o.Len(), o.Dim(), o.Metric(), o.DType())
			}
			for id := range want {
				a, _ := s.Get(id)
				b, err := o.Get(id)
				if err != nil || !slices.Equal(a, b) {
					t.Fatalf("%s: Get(%d) = %v, %v after opening; was %v", name, id, b, err, a)
				}
			}
			// numpy.load sees the live rows, ids ascending within segments.
			h, data, err := readNPY(filepath.Join(dir, EmbeddingsFile))
			if err != nil || !slices.Equal(h.Shape, []int{s.Len(), 10}) || h.Descr != descr(dt) {
				t.Fatalf("%s: embeddings.npy: %+v %v", name, h, err)
			}
			if len(data) != s.Len()*10*dt.Size() {
				t.Fatalf("%s: embeddings.npy has %d data bytes", name, len(data))
			}
			// The opened store keeps working: adds, deletes, saves again.
			if _, err := o.Append(randVectors(rand.New(rand.NewPCG(3, 3)), 100, 10)); err != nil {
				t.Fatal(err)
			}
			if _, err := o.Delete(want.ids()[:60]...); err != nil {
				t.Fatal(err)
			}
			if err := o.Save(dir); err != nil {
				t.Fatal(err)
			}
			o2, err := Open(dir, Options{Backend: "cpu", Metric: m, DType: dt, Dim: 10})
			if err != nil {
				t.Fatal(err)
			}
			if a, b := results(t, o, queries, 50), results(t, o2, queries, 50); a != b {
				t.Fatalf("%s: second save answers differently:\n%s\n%s", name, a, b)
			}
			if cur, _ := os.Readlink(filepath.Join(dir, currentLink)); cur != "v000002" {
				t.Errorf("%s: current -> %q after two saves", name, cur)
			}
			entries, _ := os.ReadDir(dir)
			var names []string
			for _, e := range entries {
				names = append(names, e.Name())
			}
			wantNames := []string{".lock", "current", "embeddings.npy", "ids.npy", "manifest.json", "v000002"}
			if dt == engine.Int8 {
				wantNames = []string{".lock", "current", "embeddings.npy", "ids.npy", "manifest.json", "scales.npy", "v000002"}
			}
			if !slices.Equal(names, wantNames) {
				t.Errorf("%s: store directory holds %v, want %v", name, names, wantNames)
			}
			o.Close()
			o2.Close()
		}
	}
}

func readNPY(path string) (npy.Header, []byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return npy.Header{}, nil, err
	}
	defer f.Close()
	return npy.ReadArray(f)
}

func TestOpenMapsInPlace(t *testing.T) {
	// Large enough to be mapped (1 MiB and more).
	r := rand.New(rand.NewPCG(4, 5))
	s := newStore(t, Options{Dim: 256, Metric: Dot})
	if _, err := s.Append(randVectors(r, 1500, 256)); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := s.Save(dir); err != nil {
		t.Fatal(err)
	}
	o, err := Open(dir, Options{Backend: "cpu"})
	if err != nil {
		t.Fatal(err)
	}
	defer o.Close()
	st := o.Stats()
	if st.MappedBytes < 1500*256*4 {
		t.Errorf("opened store maps %d bytes; want the %d of embeddings.npy", st.MappedBytes, 1500*256*4)
	}
	if used := o.Engine().MemoryInUse(); used > 1<<20 {
		t.Errorf("the CPU backend allocated %d bytes for a mapped store; want the rows read in place", used)
	}
	q := randVectors(r, 2, 256)
	if a, b := results(t, s, q, 20), results(t, o, q, 20); a != b {
		t.Fatalf("mapped store answers differently:\n%s\n%s", a, b)
	}
	// Compaction replaces mapped segments with copies; the mapping goes
	// when no segment reads it.
	all := make([]int64, 1500)
	for i := range all {
		all[i] = int64(i)
	}
	if _, err := o.Delete(all[:1400]...); err != nil {
		t.Fatal(err)
	}
	if st := o.Stats(); st.MappedBytes != 0 || st.Count != 100 {
		t.Errorf("after deleting most rows: %+v; want nothing mapped", st)
	}
	checkHits(t, "mapped then compacted", Dot, engine.Float32, func() model {
		m := model{}
		for id := int64(1400); id < 1500; id++ {
			v, _ := s.Get(id)
			m[id] = v
		}
		return m
	}(), nil, q[0], 10, must(o.Search(q[0], 10)))
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

// streamOf returns a reader of b that can seek, or one that cannot.
func streamOf(b []byte, seeks bool) io.Reader {
	if seeks {
		return bytes.NewReader(b)
	}
	return struct{ io.Reader }{bytes.NewReader(b)}
}

func TestStreamRoundTrip(t *testing.T) {
	for _, dt := range allDTypes {
		s, _ := filled(t, L2, dt, 200)
		var buf bytes.Buffer
		n, err := s.WriteTo(&buf)
		if err != nil || n != int64(buf.Len()) {
			t.Fatalf("%s: WriteTo = %d, %v (buffer %d)", dt, n, err, buf.Len())
		}
		q := randVectors(rand.New(rand.NewPCG(8, 8)), 3, 10)
		// From a reader that seeks (files read into buffers of their
		// size) and from one that does not (buffers grown as data comes).
		for _, seeks := range []bool{true, false} {
			o, err := Load(streamOf(buf.Bytes(), seeks), Options{Backend: "cpu"})
			if err != nil {
				t.Fatal(err)
			}
			if a, b := results(t, s, q, 30), results(t, o, q, 30); a != b {
				t.Fatalf("%s (seeks %v): loaded store answers differently:\n%s\n%s", dt, seeks, a, b)
			}
			o.Close()
		}
		// Unpacked, the stream is a plain directory that Open reads.
		dir := t.TempDir()
		tr := tar.NewReader(bytes.NewReader(buf.Bytes()))
		for {
			h, err := tr.Next()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(tr)
			if err := os.WriteFile(filepath.Join(dir, h.Name), b, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		o, err := Open(dir, Options{Backend: "cpu"})
		if err != nil {
			t.Fatal(err)
		}
		if a, b := results(t, s, q, 30), results(t, o, q, 30); a != b {
			t.Fatalf("%s: unpacked store answers differently", dt)
		}
		if err := o.Save(dir); err == nil || !strings.Contains(err.Error(), "plain copy") {
			t.Errorf("%s: Save over a plain directory: %v", dt, err)
		}
		o.Close()
		// A cut stream is an error naming what is missing.
		inManifest := bytes.Index(buf.Bytes(), []byte(`"format"`)) + 20
		for _, cut := range []int{0, 100, buf.Len() / 2, inManifest} {
			for _, seeks := range []bool{true, false} {
				_, err := Load(streamOf(buf.Bytes()[:cut], seeks), Options{Backend: "cpu"})
				if err == nil {
					t.Errorf("%s: Load of %d of %d bytes succeeded (seeks %v)", dt, cut, buf.Len(), seeks)
				} else if strings.Contains(err.Error(), "\n") {
					t.Errorf("%s: multi-line error %q", dt, err)
				}
			}
		}
	}
}

// TestMaxIDRoundTrip saves a store that holds id math.MaxInt64 (its next
// id saturates there) to a directory and a stream: both open, with their
// rows, and Append on them fails as on the store saved, naming no ids
// left; a manifest whose next id is below its largest id still fails.
func TestMaxIDRoundTrip(t *testing.T) {
	s := newStore(t, Options{Dim: 2, Metric: L2})
	ids := []int64{math.MaxInt64, -7, 3}
	vecs := [][]float32{{1, 2}, {3, 4}, {5, 6}}
	if err := s.Add(ids, vecs); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := s.Save(dir); err != nil {
		t.Fatal(err)
	}
	var stream bytes.Buffer
	if _, err := s.WriteTo(&stream); err != nil {
		t.Fatal(err)
	}
	opened, err := Open(dir, Options{Backend: "cpu"})
	if err != nil {
		t.Fatal(err)
	}
	defer opened.Close()
	loaded, err := Load(bytes.NewReader(stream.Bytes()), Options{Backend: "cpu"})
	if err != nil {
		t.Fatal(err)
	}
	defer loaded.Close()
	for name, o := range map[string]*Store{"saved": s, "opened": opened, "loaded": loaded} {
		for i, id := range ids {
			got, err := o.Get(id)
			if err != nil || !slices.Equal(got, vecs[i]) {
				t.Errorf("%s: Get(%d) = %v, %v; want %v", name, id, got, err, vecs[i])
			}
		}
		if _, err := o.Append([][]float32{{1, 1}}); err == nil || !strings.Contains(err.Error(), "no 1 sequential ids left") {
			t.Errorf("%s: Append with id MaxInt64 held: error %v, want one saying no ids are left", name, err)
		}
	}
	raw, err := os.ReadFile(filepath.Join(dir, ManifestFile))
	if err != nil {
		t.Fatal(err)
	}
	var m Manifest
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	if m.NextID != math.MaxInt64 {
		t.Fatalf("the saved next_id is %d, want MaxInt64", m.NextID)
	}
	m.NextID--
	var out bytes.Buffer
	if err := encodeManifest(&out, &m); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, ManifestFile), out.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	if o, err := Open(dir, Options{Backend: "cpu"}); err == nil || !strings.Contains(err.Error(), "next_id") {
		if err == nil {
			o.Close()
		}
		t.Errorf("a manifest whose next_id is below its largest id: error %v, want one naming next_id", err)
	}
}
