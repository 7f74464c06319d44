// Command quickstart is the README's Quick start: exact cosine search,
// first with the engine's lazy arrays, then with the embedding store.
package main

import (
	"fmt"
	"log"
	"os"

	_ "github.com/silica-go/silica/backends" // registers cpu, cuda, metal, torch, mlx
	"github.com/silica-go/silica/engine"
	"github.com/silica-go/silica/store"
)

func check(err error) {
	if err != nil {
		log.Fatal(err)
	}
}

func main() {
	const dim = 4        // 768 for typical sentence embeddings
	corpus := []float32{ // n rows of dim values: one flat, row-major []float32
		1, 0, 0, 0,
		0, 1, 0, 0,
		1, 1, 0, 0,
		0, 0, 1, 1,
	}
	n := len(corpus) / dim
	query := []float32{1, 0.5, 0, 0}

	// The engine: lazy arrays on the best backend of this machine.
	e, err := engine.Default() // metal, then cuda, then cpu; SILICA_BACKEND=cpu (or cuda, torch:cpu...) chooses
	check(err)
	defer e.Close()
	q, err := e.FromFloat32(query, 1, dim)
	check(err)
	x, err := e.FromFloat32(corpus, n, dim)
	check(err)
	s, err := engine.Cosine(q, x) // lazy: nothing runs yet
	check(err)
	vals, idx, err := engine.TopK(s, 2, true) // fused into one scan: no score matrix
	check(err)
	check(e.Eval(vals, idx)) // one submission to the device
	rows, err := idx.Int64()
	check(err)
	scores, err := vals.Float32()
	check(err)
	fmt.Printf("engine: rows %v, scores %.4f\n", rows, scores)

	// The store: vectors under int64 ids, searched exactly, saved as .npy.
	st, err := store.New(store.Options{Dim: dim, Metric: store.Cosine}) // on engine.Default(); Backend: "cuda" chooses
	check(err)
	defer st.Close()
	check(st.AddFlat([]int64{10, 20, 30, 40}, corpus)) // upsert by id; st.Add takes [][]float32, a slice per row
	hits, err := st.Search(query, 2)                   // []store.Hit{ID, Score}, best first, ties to the smaller id
	check(err)
	for _, h := range hits {
		fmt.Printf("store: id %d, score %.4f\n", h.ID, h.Score)
	}

	dir, err := os.MkdirTemp("", "quickstart")
	check(err)
	defer os.RemoveAll(dir)
	check(st.Save(dir))                          // manifest.json + embeddings.npy + ids.npy, atomically
	st2, err := store.Open(dir, store.Options{}) // store.Options{Backend: "cuda"} opens it on the GPU
	check(err)
	defer st2.Close()
	hits, err = st2.Search(query, 2)
	check(err)
	fmt.Printf("reopened: %d vectors, best id %d\n", st2.Len(), hits[0].ID)
}
