package cpu

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/silica-go/silica/engine"
)

// checkProduct checks got [m, n] against x [m, k] · wᵀ (w [n, k]), or
// x · w (w [k, n]) when !trans, in float64.
func checkProduct(t *testing.T, what string, x, w, got []float32, m, n, k int, trans bool) {
	t.Helper()
	for i := range m {
		for j := range n {
			var want, mag float64
			for p := range k {
				wv := w[p*n+j]
				if trans {
					wv = w[j*k+p]
				}
				v := float64(x[i*k+p]) * float64(wv)
				want += v
				mag += math.Abs(v)
			}
			if e := math.Abs(float64(got[i*n+j]) - want); !(e <= sumBound(k, mag)) {
				t.Fatalf("%s: (%d, %d) = %v, want %v", what, i, j, got[i*n+j], want)
			}
		}
	}
}

// TestPackCache multiplies by the same weights through the engine again
// and again, as the encoder does, and checks that the products use the
// cached panels, that a write of the weights (CopyRows) is seen by the
// next product, and that freeing them drops their panels.
func TestPackCache(t *testing.T) {
	bothKernelSets(t, func(t *testing.T) {
		r := rand.New(rand.NewPCG(9, 9))
		for _, trans := range []bool{true, false} {
			c := poisoned(2)
			e := engine.New("cpu", c)
			m, n, k := gemmDotRows+3, 70, 300 // past gemmDot, an edge sliver, two panels
			xv, wv := make([]float32, m*k), make([]float32, n*k)
			normals(r, xv)
			normals(r, wv)
			X, err := e.FromFloat32(xv, m, k)
			if err != nil {
				t.Fatal(err)
			}
			wShape := []int{n, k}
			if !trans {
				wShape = []int{k, n}
			}
			W, err := e.FromFloat32(wv, wShape...)
			if err != nil {
				t.Fatal(err)
			}
			product := func(what string, w []float32) {
				t.Helper()
				Y, err := engine.MatMul(X, W, false, trans)
				if err != nil {
					t.Fatal(err)
				}
				got, err := Y.Float32()
				if err != nil {
					t.Fatal(err)
				}
				checkProduct(t, what, xv, w, got, m, n, k, trans)
				Y.Free()
			}
			for i := range 3 {
				product("product "+string(rune('1'+i)), wv)
			}
			if c.packs.hits != 1 || c.packs.held() == 0 {
				t.Fatalf("trans %v: %d products of three used cached panels (%d bytes held), want 1", trans, c.packs.hits, c.packs.held())
			}
			// Overwrite the weights' first rows in place: the next product
			// must see the new values, and the one after use new panels.
			rows := 5
			nv := make([]float32, rows*wShape[1])
			normals(r, nv)
			N, err := e.FromFloat32(nv, rows, wShape[1])
			if err != nil {
				t.Fatal(err)
			}
			if err := engine.CopyRows(W, 0, N); err != nil {
				t.Fatal(err)
			}
			copy(wv, nv)
			product("after CopyRows", wv)
			product("after CopyRows, again", wv)
			if c.packs.hits != 1 {
				t.Fatalf("trans %v: %d hits after a write, want 1 (the written buffer packed afresh twice)", trans, c.packs.hits)
			}
			product("after CopyRows, cached", wv)
			if c.packs.hits != 2 {
				t.Fatalf("trans %v: %d hits, want 2", trans, c.packs.hits)
			}
			before := e.MemoryInUse()
			held := c.packs.held()
			W.Free()
			if c.packs.held() != 0 || e.MemoryInUse() != before-held-int64(4*n*k) {
				t.Fatalf("trans %v: after freeing the weights %d bytes of panels held, memory in use %d of %d", trans, c.packs.held(), e.MemoryInUse(), before)
			}
		}
	})
}

// TestPackCacheWrite checks the backend's own Write and a product's
// output: both change a buffer, and a product by it after either must
// not use panels packed before.
func TestPackCacheWrite(t *testing.T) {
	r := rand.New(rand.NewPCG(10, 10))
	c := poisoned(2)
	m, n, k := gemmDotRows+1, 33, 17
	x, w := make([]float32, m*k), make([]float32, n*k)
	normals(r, x)
	buf, err := c.Alloc(4 * n * k)
	if err != nil {
		t.Fatal(err)
	}
	b := buf.(*buffer)
	out := make([]float32, m*n)
	product := func(what string) {
		t.Helper()
		for i := range out {
			out[i] = float32(math.NaN())
		}
		c.gemmOf(m, n, k, matrix{data: x, rs: k, cs: 1}, matrix{data: f32(b.b), rs: 1, cs: k}, b, out)
		checkProduct(t, what, x, w, out, m, n, k, true)
	}
	write := func() {
		normals(r, w)
		if err := c.Write(b, 0, bytesOf(w)); err != nil {
			t.Fatal(err)
		}
	}
	write()
	product("first")
	product("second") // packs and caches
	write()
	product("after Write")
	if c.packs.hits != 0 {
		t.Fatalf("%d hits, want 0", c.packs.hits)
	}
	product("after Write, second")
	product("after Write, cached")
	if c.packs.hits != 1 {
		t.Fatalf("%d hits, want 1", c.packs.hits)
	}
	// A step that writes the buffer as its output (as Run does).
	normals(r, w)
	b.gen.Add(1)
	copy(f32(b.b), w)
	product("after a step's output")
	if c.packs.hits != 1 {
		t.Fatalf("%d hits after an output, want 1", c.packs.hits)
	}
	c.Free(b)
	if c.packs.held() != 0 {
		t.Fatalf("%d bytes of panels held after Free", c.packs.held())
	}
}

// TestPackCacheBound checks that panels past packCacheMax are not kept.
func TestPackCacheBound(t *testing.T) {
	defer func(v int) { packCacheMax = v }(packCacheMax)
	packCacheMax = 4 * 300 * 64 // room for one 300 x 64 panel set
	r := rand.New(rand.NewPCG(11, 11))
	c := poisoned(1)
	m, k := gemmDotRows+1, 300
	x := make([]float32, m*k)
	normals(r, x)
	for i, n := range []int{64, 64, 64} {
		w := make([]float32, n*k)
		normals(r, w)
		buf, err := c.Alloc(4 * n * k)
		if err != nil {
			t.Fatal(err)
		}
		b := buf.(*buffer)
		copy(f32(b.b), w)
		out := make([]float32, m*n)
		for range 3 {
			c.gemmOf(m, n, k, matrix{data: x, rs: k, cs: 1}, matrix{data: f32(b.b), rs: 1, cs: k}, b, out)
			checkProduct(t, "bound", x, w, out, m, n, k, true)
		}
		if held := c.packs.held(); held > int64(packCacheMax) || held == 0 {
			t.Fatalf("weights %d: %d bytes held, bound %d", i, held, packCacheMax)
		}
	}
	if c.packs.hits != 1 {
		t.Fatalf("%d hits, want 1 (the first weights only)", c.packs.hits)
	}
}
