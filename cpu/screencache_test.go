package cpu

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/silica-go/silica/engine"
)

// TestScreenCache scans the same rows again and again, as a store's
// searches do, and checks each scan's results against float64 (the same
// rows and, within float32's error, the same scores), that the second
// and third scans use the rows converted by the first, that a write of
// the rows (CopyRows, a wrapped buffer's replacement) is seen by the next
// scan, that the cache counts in MemoryInUse and freeing the rows drops
// it, and that rows past screenCacheMax are converted by each scan.
func TestScreenCache(t *testing.T) {
	screenVariants(t, false, func(t *testing.T) {
		r := rand.New(rand.NewPCG(91, freshSeed(t)))
		for _, dt := range []engine.DType{engine.Float32, engine.Float16} {
			t.Run(dt.String(), func(t *testing.T) {
				m, n, d, k := 20, 1333, 40, 7
				c := poisoned(2)
				e := engine.New("cpu", c)
				qv, xv := make([]float32, m*d), make([]float32, n*d)
				normals(r, qv)
				normals(r, xv)
				for i := 5; i < n; i += 9 {
					copy(xv[i*d:(i+1)*d], xv[(i-5)*d:(i-4)*d]) // ties
				}
				Q, err := e.FromFloat32As(qv, dt, m, d)
				if err != nil {
					t.Fatal(err)
				}
				X, err := e.FromFloat32As(xv, dt, n, d)
				if err != nil {
					t.Fatal(err)
				}
				scan := func(what string, builds int) {
					t.Helper()
					s, err := engine.Cosine(Q, X)
					if err != nil {
						t.Fatal(err)
					}
					v, i, err := engine.TopK(s, k, true)
					if err != nil {
						t.Fatal(err)
					}
					before := amxScans.Load()
					if err := e.Eval(v, i); err != nil {
						t.Fatal(err)
					}
					if amxScans.Load() == before {
						t.Fatalf("%s: not screened", what)
					}
					got, _ := v.Float32()
					rows, _ := i.Int64()
					checkScanRanks(t, what, "cosine", dt, qv, xv, m, d, k, got, rows)
					if c.screens.builds != builds {
						t.Fatalf("%s: %d conversions of the rows, want %d", what, c.screens.builds, builds)
					}
					v.Free()
					i.Free()
				}
				scan("first", 1)
				if c.screens.bytes() == 0 || c.screens.bytes() > c.MemoryInUse()-int64(n*d*dt.Size()) {
					t.Fatalf("%d bytes cached, %d in use", c.screens.bytes(), c.MemoryInUse())
				}
				scan("second", 1)
				scan("third", 1)
				nv := make([]float32, 4*d)
				normals(r, nv)
				copy(nv[2*d:], qv[:2*d]) // rows 2 and 3 now best for queries 0 and 1
				N, err := e.FromFloat32As(nv, dt, 4, d)
				if err != nil {
					t.Fatal(err)
				}
				if err := engine.CopyRows(X, n-4, N); err != nil {
					t.Fatal(err)
				}
				copy(xv[(n-4)*d:], nv)
				scan("after CopyRows", 2)
				scan("after CopyRows, again", 2)
				held := c.screens.bytes()
				use := c.MemoryInUse()
				X.Free()
				if c.screens.bytes() != 0 || c.MemoryInUse() > use-held {
					t.Fatalf("after freeing the rows %d bytes cached, memory in use %d of %d", c.screens.bytes(), c.MemoryInUse(), use)
				}
				// Rows over the bound: converted by each scan, never kept.
				max0 := screenCacheMax
				defer func() { screenCacheMax = max0 }()
				screenCacheMax = held - 1
				if X, err = e.FromFloat32As(xv, dt, n, d); err != nil {
					t.Fatal(err)
				}
				scan("over the bound", 2)
				scan("over the bound, again", 2)
				if c.screens.bytes() != 0 {
					t.Fatalf("%d bytes cached over a bound of %d", c.screens.bytes(), screenCacheMax)
				}
			})
		}
	})
}

// TestScreenCacheWrapped scans rows wrapped in place (a store's rows on
// the host): a new wrapping of the same memory, with more rows, is new
// rows to the cache, and freeing a wrapping drops its entry.
func TestScreenCacheWrapped(t *testing.T) {
	screenVariants(t, false, func(t *testing.T) {
		r := rand.New(rand.NewPCG(92, freshSeed(t)))
		m, n, d, k := 17, 900, 33, 5
		c := poisoned(2)
		e := engine.New("cpu", c)
		qv, xv := make([]float32, m*d), make([]float32, 2*n*d)
		normals(r, qv)
		normals(r, xv)
		Q, err := e.FromFloat32(qv, m, d)
		if err != nil {
			t.Fatal(err)
		}
		raw := bytesOf(xv)
		for step, rows := range []int{n, 2 * n} {
			X, err := e.FromBytesNoCopy(raw[:4*rows*d], engine.Float32, rows, d)
			if err != nil {
				t.Fatal(err)
			}
			for rep := range 2 {
				s, err := engine.MatMul(Q, X, false, true)
				if err != nil {
					t.Fatal(err)
				}
				v, i, err := engine.TopK(s, k, true)
				if err != nil {
					t.Fatal(err)
				}
				got, err := v.Float32()
				if err != nil {
					t.Fatal(err)
				}
				idx, _ := i.Int64()
				what := fmt.Sprintf("%d rows, scan %d", rows, rep+1)
				checkScanRanks(t, what, "dot", engine.Float32, qv, xv[:rows*d], m, d, k, got, idx)
				if c.screens.builds != step+1 {
					t.Fatalf("%s: %d conversions, want %d", what, c.screens.builds, step+1)
				}
			}
			X.Free()
			if c.screens.bytes() != 0 {
				t.Fatalf("%d rows freed: %d bytes still cached", rows, c.screens.bytes())
			}
		}
	})
}

// checkScanRanks checks a scan's k best of each of m queries (values got,
// rows idx) against float64 over the queries qv and rows xv as dt stores
// them (scanRef, checkTopK), and that tied rows come smaller first.
func checkScanRanks(t *testing.T, what, metric string, dt engine.DType, qv, xv []float32, m, d, k int, got []float32, idx []int64) {
	t.Helper()
	q, x := storedValues(dt, qv), storedValues(dt, xv)
	for i := range m {
		ref, mags := scanRef(metric, q[i*d:(i+1)*d], x, d)
		v, ix := got[i*k:(i+1)*k], idx[i*k:(i+1)*k]
		name := fmt.Sprintf("%s: query %d", what, i)
		checkTopK(t, name, true, v, ix, ref, mags)
		for r := 1; r < k; r++ {
			if v[r] == v[r-1] && ix[r] < ix[r-1] {
				t.Fatalf("%s: ranks %d and %d tie at %v with rows %d and %d, want the smaller first", name, r-1, r, v[r], ix[r-1], ix[r])
			}
		}
	}
}
