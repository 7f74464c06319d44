package store

import (
	"fmt"
	"math/rand/v2"
	"testing"

	_ "github.com/silica-go/silica/backends"
	"github.com/silica-go/silica/engine"
	"github.com/silica-go/silica/internal/testenv"
)

// TestOpensOnEveryBackend saves stores on the CPU backend and opens them
// on every registered backend, checking the answers against the float64
// reference there. A backend whose device or library is absent is a need
// (testenv.Need): skipped on a developer machine, a failure in CI unless
// SILICA_CI_ALLOW waives it.
func TestOpensOnEveryBackend(t *testing.T) {
	type saved struct {
		m    Metric
		dt   engine.DType
		dir  string
		want model
	}
	var stores []saved
	for _, m := range allMetrics {
		for _, dt := range allDTypes {
			s, want := filled(t, m, dt, 300)
			dir := t.TempDir()
			if err := s.Save(dir); err != nil {
				t.Fatal(err)
			}
			stores = append(stores, saved{m, dt, dir, want})
		}
	}
	queries := randVectors(rand.New(rand.NewPCG(3, 4)), 3, 10)
	for _, name := range engine.Drivers() {
		t.Run(name, func(t *testing.T) {
			e, err := engine.Open(name)
			if err != nil {
				testenv.Need(t, name, err)
			}
			e.Close()
			for _, sv := range stores {
				o, err := Open(sv.dir, Options{Backend: name})
				if err != nil {
					t.Fatalf("%s %s: %v", sv.m, sv.dt, err)
				}
				for _, k := range []int{1, 10, 400} {
					res, err := o.SearchBatch(queries, k)
					if err != nil {
						t.Fatalf("%s %s k=%d: %v", sv.m, sv.dt, k, err)
					}
					for i, q := range queries {
						checkHits(t, fmt.Sprintf("%s: %s %s k=%d query %d", name, sv.m, sv.dt, k, i), sv.m, sv.dt, sv.want, nil, q, k, res[i])
					}
				}
				o.Close()
			}
		})
	}
}
