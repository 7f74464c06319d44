package cpu

import (
	"fmt"
	"math"
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
					checkCosineTopK(t, what, dt, qv, xv, m, n, d, k, got, rows)
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
				checkDotTopK(t, what, qv, xv, m, rows, d, k, got, idx)
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

// checkCosineTopK checks a cosine scan's k best of each query (values got,
// rows idx) against float64 over the queries qv and rows xv as stored in
// dt: the rows are the k best, ties by the smaller row, each score within
// float32's error.
func checkCosineTopK(t *testing.T, what string, dt engine.DType, qv, xv []float32, m, n, d, k int, got []float32, idx []int64) {
	t.Helper()
	q, x := stored(dt, qv), stored(dt, xv)
	score := func(i, r int) float64 {
		var dot, qq, xx float64
		for e := range d {
			a, b := float64(q[i*d+e]), float64(x[r*d+e])
			dot += a * b
			qq += a * a
			xx += b * b
		}
		return dot / math.Sqrt(qq*xx)
	}
	checkRanks(t, what, m, n, k, got, idx, score)
}

// checkDotTopK is checkCosineTopK for a dot scan of float32 rows.
func checkDotTopK(t *testing.T, what string, qv, xv []float32, m, n, d, k int, got []float32, idx []int64) {
	t.Helper()
	checkRanks(t, what, m, n, k, got, idx, func(i, r int) float64 {
		var dot float64
		for e := range d {
			dot += float64(qv[i*d+e]) * float64(xv[r*d+e])
		}
		return dot
	})
}

// checkRanks checks that idx holds, per query, rows whose float64 scores
// are the k best (a row may trade places with one within 1e-5 of it)
// and got their scores within 1e-5.
func checkRanks(t *testing.T, what string, m, n, k int, got []float32, idx []int64, score func(i, r int) float64) {
	t.Helper()
	for i := range m {
		all := make([]float64, n)
		for r := range n {
			all[r] = score(i, r)
		}
		kth := kthBest(all, k)
		for j := range k {
			r := idx[i*k+j]
			if r < 0 || r >= int64(n) {
				t.Fatalf("%s: query %d rank %d: row %d of %d", what, i, j, r, n)
			}
			want := all[r]
			if math.Abs(float64(got[i*k+j])-want) > 1e-5 || want < kth-1e-5 {
				t.Fatalf("%s: query %d rank %d: row %d scored %v, float64 %v, k-th best %v", what, i, j, r, got[i*k+j], want, kth)
			}
			if j > 0 && (got[i*k+j] > got[i*k+j-1] || got[i*k+j] == got[i*k+j-1] && r < idx[i*k+j-1]) {
				t.Fatalf("%s: query %d: rank %d (%v, row %d) out of order after (%v, row %d)", what, i, j, got[i*k+j], r, got[i*k+j-1], idx[i*k+j-1])
			}
		}
	}
}

// kthBest returns the k-th largest of v.
func kthBest(v []float64, k int) float64 {
	s := append([]float64(nil), v...)
	for i := range k { // partial selection: k is small
		b := i
		for j := i + 1; j < len(s); j++ {
			if s[j] > s[b] {
				b = j
			}
		}
		s[i], s[b] = s[b], s[i]
	}
	return s[k-1]
}

// stored returns xv as dt holds it, in float32.
func stored(dt engine.DType, xv []float32) []float32 {
	if dt != engine.Float16 {
		return xv
	}
	out := make([]float32, len(xv))
	raw := make([]byte, 2)
	for i, v := range xv {
		encodeF16(raw, []float32{v})
		decodeF16(out[i:i+1], raw)
	}
	return out
}
