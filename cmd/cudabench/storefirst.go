package main

import (
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	_ "github.com/silica-go/silica/cpu" // the store is built on the CPU
	"github.com/silica-go/silica/engine"
	"github.com/silica-go/silica/store"
)

// storeFirst measures first use through the store, as a user meets it
// (spec "dir,dtype,queries,k"): where dir holds no store, it builds one
// of 200K random 768-d rows on the CPU backend, saves it there and
// returns; else it opens the store on cuda (Open warms WarmK and
// WarmBatches in the background), waits for wait, then times the first
// SearchBatch of that shape and a second one, wall clock with the hits
// on the host. Run it once to build, then in fresh processes with an
// empty or a filled kernel cache (SILICA_CACHE_DIR).
func storeFirst(spec string, wait time.Duration) {
	f := strings.Split(spec, ",")
	if len(f) != 4 {
		fatal(fmt.Errorf("-storefirst %q: want dir,dtype,queries,k (e.g. /tmp/s,fp16,1,100)", spec))
	}
	dt, ok := map[string]engine.DType{"fp32": engine.Float32, "fp16": engine.Float16}[f[1]]
	m, err1 := strconv.Atoi(f[2])
	k, err2 := strconv.Atoi(f[3])
	if !ok || err1 != nil || err2 != nil || m < 1 || k < 1 {
		fatal(fmt.Errorf("-storefirst %q: want dir,dtype (fp32, fp16),queries,k", spec))
	}
	const n, d = 200000, 768
	r := rand.New(rand.NewPCG(1, 2))
	vec := func() []float32 {
		v := make([]float32, d)
		for i := range v {
			v[i] = float32(r.NormFloat64())
		}
		return v
	}
	dir := f[0]
	if _, err := os.Stat(filepath.Join(dir, store.ManifestFile)); err != nil {
		s, err := store.New(store.Options{Dim: d, DType: dt, Backend: "cpu"})
		if err != nil {
			fatal(err)
		}
		ids, rows := make([]int64, n), make([][]float32, n)
		for i := range rows {
			ids[i], rows[i] = int64(i), vec()
		}
		if err := s.Add(ids, rows); err != nil {
			fatal(err)
		}
		if err := s.Save(dir); err != nil {
			fatal(err)
		}
		s.Close()
		fmt.Printf("store first use: built %d x %d %s in %s\n", n, d, f[1], dir)
		return
	}
	queries := make([][]float32, m)
	for i := range queries {
		queries[i] = vec()
	}
	t0 := time.Now()
	s, err := store.Open(dir, store.Options{Backend: "cuda"})
	if err != nil {
		fatal(err)
	}
	defer s.Close()
	open := time.Since(t0)
	time.Sleep(wait)
	var ms [2]float64
	for i := range ms {
		t := time.Now()
		if _, err := s.SearchBatch(queries, k); err != nil {
			fatal(err)
		}
		ms[i] = time.Since(t).Seconds() * 1e3
	}
	fmt.Printf("store first use %s,%d,%d wait %s: open %.1f ms, first search %.1f ms, second %.1f ms\n",
		f[1], m, k, wait, open.Seconds()*1e3, ms[0], ms[1])
}
