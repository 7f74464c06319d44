package store

import (
	"errors"
	"fmt"
	"hash/fnv"
	"math"
	"path/filepath"
	"strings"
	"testing"
)

// hashEncoder is a TextEncoder for the store's own tests: each text's
// vector is a function of its words (the real one, encode.Encoder, is
// tested against sentence-transformers in its package).
type hashEncoder struct {
	dim  int
	name string
	fail bool
}

func (h hashEncoder) Encode(texts []string) ([][]float32, error) {
	if h.fail {
		return nil, errors.New("the model broke")
	}
	out := make([][]float32, len(texts))
	for i, t := range texts {
		v := make([]float32, h.dim)
		for _, w := range strings.Fields(t) {
			f := fnv.New64a()
			f.Write([]byte(w))
			x := f.Sum64()
			v[x%uint64(h.dim)] += 1
			v[(x>>32)%uint64(h.dim)] += 0.5
		}
		v[0] += 0.01 // no zero vector for the empty text
		out[i] = v
	}
	return out, nil
}
func (h hashEncoder) Dim() int              { return h.dim }
func (h hashEncoder) Name() string          { return h.name }
func (h hashEncoder) WeightsSHA256() string { return fmt.Sprintf("%064x", len(h.name)) }

func TestTexts(t *testing.T) {
	enc := hashEncoder{dim: 29, name: "model-a"}
	s := newStore(t, Options{Encoder: enc})
	if s.Dim() != 29 {
		t.Fatalf("Dim %d; want the encoder's 29", s.Dim())
	}
	docs := []string{"red apple pie", "green apple", "blue sky over the sea", "", "sea salt and pepper"}
	ids := []int64{-5, 1 << 40, 7, 3, 11}
	if err := s.AddTexts(ids, docs); err != nil {
		t.Fatal(err)
	}
	vecs, _ := enc.Encode(docs)
	for i, q := range []string{"apple pie red", "the sea", ""} {
		got, err := s.SearchText(q, 2)
		if err != nil {
			t.Fatal(err)
		}
		qv, _ := enc.Encode([]string{q})
		want, err := s.Search(qv[0], 2)
		if err != nil {
			t.Fatal(err)
		}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("query %d %q: SearchText %v; Search of its vector %v", i, q, got, want)
		}
	}
	// The best hit of a document's own text is the document, score 1.
	for i, d := range docs {
		h, err := s.SearchText(d, 1)
		if err != nil {
			t.Fatal(err)
		}
		if h[0].ID != ids[i] && cosine64(vecs[i], vecs[indexOf(ids, h[0].ID)]) < 1-1e-6 {
			t.Errorf("text %q: best hit %d (%g); want %d", d, h[0].ID, h[0].Score, ids[i])
		}
	}
	if err := s.AddTexts([]int64{1}, []string{"a", "b"}); err == nil || strings.Contains(err.Error(), "\n") {
		t.Errorf("2 texts for 1 id: %v; want a one-line error", err)
	}
	dir := filepath.Join(t.TempDir(), "st")
	if err := s.Save(dir); err != nil {
		t.Fatal(err)
	}
	if m := s.Model(); m == nil || m.Name != "model-a" {
		t.Fatalf("Model() = %v", m)
	}
	// Reopened with the same model: searches agree; with none: a search
	// by text names the model; with another: refused.
	s2, err := Open(dir, Options{Backend: "cpu", Encoder: enc})
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	a, _ := s.SearchText("green sea", 3)
	b, err := s2.SearchText("green sea", 3)
	if err != nil || fmt.Sprint(a) != fmt.Sprint(b) {
		t.Errorf("reopened: %v, %v; before %v", b, err, a)
	}
	s3, err := Open(dir, Options{Backend: "cpu"})
	if err != nil {
		t.Fatal(err)
	}
	defer s3.Close()
	if _, err := s3.SearchText("sea", 1); err == nil || !strings.Contains(err.Error(), "model-a") {
		t.Errorf("search text without an encoder: %v; want an error naming model-a", err)
	}
	if m := s3.Model(); m == nil || m.Name != "model-a" {
		t.Errorf("reopened without an encoder: Model() = %v; want model-a", m)
	}
	_, err = Open(dir, Options{Backend: "cpu", Encoder: hashEncoder{dim: 29, name: "model-bb"}})
	if err == nil || !strings.Contains(err.Error(), "model-a") || !strings.Contains(err.Error(), "model-bb") {
		t.Errorf("open with another model: %v; want an error naming both", err)
	}
	if err := s3.SetEncoder(hashEncoder{dim: 29, name: "model-bb"}); err == nil {
		t.Error("SetEncoder with another model: no error")
	}
	if err := s3.SetEncoder(enc); err != nil {
		t.Fatal(err)
	}
	if c, err := s3.SearchText("green sea", 3); err != nil || fmt.Sprint(a) != fmt.Sprint(c) {
		t.Errorf("after SetEncoder: %v, %v; before %v", c, err, a)
	}
	if _, err := New(Options{Backend: "cpu", Dim: 30, Encoder: enc}); err == nil {
		t.Error("Dim 30 with a 29-d encoder: no error")
	}
	plain := newStore(t, Options{Dim: 29})
	if _, err := plain.SearchText("x", 1); err == nil || !strings.Contains(err.Error(), "Encoder") {
		t.Errorf("a store without an encoder: %v", err)
	}
	broken := newStore(t, Options{Encoder: hashEncoder{dim: 29, name: "m", fail: true}})
	if err := broken.AddTexts([]int64{1}, []string{"x"}); err == nil || broken.Len() != 0 {
		t.Errorf("a failing encoder: %v, %d rows", err, broken.Len())
	}
}

func indexOf(ids []int64, id int64) int {
	for i, x := range ids {
		if x == id {
			return i
		}
	}
	return -1
}

func cosine64(a, b []float32) float64 {
	var d, na, nb float64
	for i := range a {
		d += float64(a[i]) * float64(b[i])
		na += float64(a[i]) * float64(a[i])
		nb += float64(b[i]) * float64(b[i])
	}
	return d / math.Sqrt(na*nb)
}
