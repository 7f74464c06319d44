package store

import (
	"encoding/json"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/silica-go/silica/engine"
)

// writeVersion saves a store whose rows were added under ids (in that
// order, no deletes: the files hold the rows so), rewrites its manifest
// with version and segments, and returns the directory and the model.
func writeVersion(t *testing.T, ids []int64, version int, segments []int) (string, model) {
	t.Helper()
	r := rand.New(rand.NewPCG(uint64(version), uint64(len(ids))))
	s := newStore(t, Options{Dim: 4, Metric: L2})
	vecs := randVectors(r, len(ids), 4)
	if err := s.Add(ids, vecs); err != nil {
		t.Fatal(err)
	}
	want := model{}
	for i, id := range ids {
		want[id] = vecs[i]
	}
	var b strings.Builder
	if _, err := s.WriteTo(&b); err != nil {
		t.Fatal(err)
	}
	files := streamFiles(t, []byte(b.String()))
	var m Manifest
	if err := json.Unmarshal(files[ManifestFile], &m); err != nil {
		t.Fatal(err)
	}
	m.Version, m.Segments = version, segments
	raw, err := json.Marshal(&m)
	if err != nil {
		t.Fatal(err)
	}
	files[ManifestFile] = fixManifest(raw, nil)
	dir := t.TempDir()
	for name, data := range files {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir, want
}

// TestOpensVersion1 opens a store in the format before arenas (version 1:
// segments of ascending ids, overlapping in range) on the CPU and the
// device-like backend, checks its answers, adds to it and searches again;
// and checks that each version's id rules are enforced.
func TestOpensVersion1(t *testing.T) {
	ids := []int64{3, 8, 20, 1, 9, 15, 40}
	dir, want := writeVersion(t, ids, 1, []int{3, 4})
	q := randVectors(rand.New(rand.NewPCG(1, 1)), 3, 4)
	for _, e := range []*engine.Engine{engine.New("cpu", newCPU()), engine.New("device-like", deviceLike{newCPU()})} {
		s, err := Open(dir, Options{Engine: e})
		if err != nil {
			t.Fatalf("%s: open a version 1 store: %v", e.Name(), err)
		}
		for _, k := range []int{1, 4, 10} {
			for _, x := range q {
				checkHits(t, e.Name()+" version 1", L2, engine.Float32, want, nil, x, k, must(s.Search(x, k)))
			}
		}
		more := randVectors(rand.New(rand.NewPCG(2, 2)), 2, 4)
		if err := s.Add([]int64{2, 9}, more); err != nil {
			t.Fatal(err)
		}
		w := model{}
		for id, v := range want {
			w[id] = v
		}
		w[2], w[9] = more[0], more[1]
		for _, x := range q {
			checkHits(t, e.Name()+" version 1 after an add", L2, engine.Float32, w, nil, x, 8, must(s.Search(x, 8)))
		}
		s.Close()
	}
	// Version 1 wants ascending ids within a segment; version 2 does not.
	bad, _ := writeVersion(t, []int64{3, 8, 1, 20}, 1, []int{4})
	if _, err := Open(bad, Options{Backend: "cpu"}); err == nil || !strings.Contains(err.Error(), "out of order within a segment") {
		t.Errorf("version 1 store with ids out of order: %v; want an error saying so", err)
	}
	good, _ := writeVersion(t, []int64{3, 8, 1, 20}, 2, []int{4})
	s, err := Open(good, Options{Backend: "cpu"})
	if err != nil {
		t.Fatalf("version 2 store with ids in insertion order: %v", err)
	}
	s.Close()
}
