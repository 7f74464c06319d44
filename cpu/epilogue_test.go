package cpu

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/silica-go/silica/engine"
)

// epilogueCase is a product with an element-wise epilogue: build makes the
// epilogue over the product p in the engine, ref computes it in float64
// from the product pf and the inputs (row i, column j), and slope bounds
// |d ref / d p|, which scales the product's error.
type epilogueCase struct {
	name  string
	build func(p *engine.Array, in map[string]*engine.Array) (*engine.Array, error)
	ref   func(pf float64, in map[string][]float32, i, j, n int) float64
	slope float64
}

// gelu64 is BERT's GELU in float64.
func gelu64(x float64) float64 { return x / 2 * (1 + math.Erf(x/math.Sqrt2)) }

var epilogueCases = []epilogueCase{
	{"bias", func(p *engine.Array, in map[string]*engine.Array) (*engine.Array, error) {
		return engine.Add(p, in["bias"])
	}, func(pf float64, in map[string][]float32, i, j, n int) float64 {
		return pf + float64(in["bias"][j])
	}, 1},
	{"bias first", func(p *engine.Array, in map[string]*engine.Array) (*engine.Array, error) {
		return engine.Add(in["bias"], p) // the product is not the chain's first input
	}, func(pf float64, in map[string][]float32, i, j, n int) float64 {
		return pf + float64(in["bias"][j])
	}, 1},
	{"bias gelu", func(p *engine.Array, in map[string]*engine.Array) (*engine.Array, error) {
		// As the encoder builds it: x read twice by the chain.
		x, err := engine.Add(p, in["bias"])
		if err != nil {
			return nil, err
		}
		s, _ := engine.Scale(x, float32(1/math.Sqrt2))
		e, _ := engine.Erf(s)
		e1, _ := engine.Add(e, in["one"])
		h, _ := engine.Scale(x, 0.5)
		return engine.Mul(h, e1)
	}, func(pf float64, in map[string][]float32, i, j, n int) float64 {
		return gelu64(pf + float64(in["bias"][j]))
	}, 1.2},
	{"bias residual column", func(p *engine.Array, in map[string]*engine.Array) (*engine.Array, error) {
		x, err := engine.Add(p, in["bias"])
		if err != nil {
			return nil, err
		}
		y, _ := engine.Mul(x, in["col"])
		return engine.Add(y, in["res"])
	}, func(pf float64, in map[string][]float32, i, j, n int) float64 {
		return (pf+float64(in["bias"][j]))*float64(in["col"][i]) + float64(in["res"][i*n+j])
	}, 3},
}

// TestMatMulEpilogue checks that a product followed by element-wise ops
// fuses into one matmul_epilogue step, and its result against a float64
// reference, at awkward sizes (gemmSizes: both the dot-product path of a
// few rows and the blocked one, one panel group and many), every operand
// layout, on one worker and three, the outputs poisoned before every
// step.
func TestMatMulEpilogue(t *testing.T) {
	packedB := gemmPackedB
	defer func() { gemmPackedB = packedB }()
	bothKernelSets(t, func(t *testing.T) {
		r := rand.New(rand.NewPCG(16, 16))
		for si, sz := range testGemmSizes() {
			m, n, k := sz[0], sz[1], sz[2]
			for ci, c := range epilogueCases {
				// x·Wᵀ (the encoder's layout, and gemmDot's) in every other case.
				tr := [][2]bool{{false, true}, {false, false}, {false, true}, {true, true}, {false, true}, {true, false}}[(si+ci)%6]
				workers := []int{1, 3}[(si+ci)%2]
				// With a bound of one byte, B is packed a panel at a time.
				gemmPackedB = map[int]int{1: packedB, 3: 1}[workers]
				name := fmt.Sprintf("%s %dx%dx%d trans %v workers %d", c.name, m, n, k, tr, workers)
				t.Run(name, func(t *testing.T) { checkEpilogue(t, r, c, m, n, k, tr, workers) })
			}
		}
	})
}

func checkEpilogue(t *testing.T, r *rand.Rand, c epilogueCase, m, n, k int, tr [2]bool, workers int) {
	e := engine.New("cpu", poisoned(workers))
	av, bv := make([]float32, m*k), make([]float32, k*n)
	normals(r, av)
	normals(r, bv)
	ash, bsh := []int{m, k}, []int{k, n}
	if tr[0] {
		ash = []int{k, m}
	}
	if tr[1] {
		bsh = []int{n, k}
	}
	A, err := e.FromFloat32(av, ash...)
	if err != nil {
		t.Fatal(err)
	}
	B, err := e.FromFloat32(bv, bsh...)
	if err != nil {
		t.Fatal(err)
	}
	vals := map[string][]float32{"bias": make([]float32, n), "col": make([]float32, m), "res": make([]float32, m*n), "one": {1}}
	shapes := map[string][]int{"bias": {n}, "col": {m, 1}, "res": {m, n}, "one": {1}}
	in := map[string]*engine.Array{}
	for name, v := range vals {
		if name != "one" {
			normals(r, v)
		}
		if in[name], err = e.FromFloat32(v, shapes[name]...); err != nil {
			t.Fatal(err)
		}
	}
	P, err := engine.MatMul(A, B, tr[0], tr[1])
	if err != nil {
		t.Fatal(err)
	}
	Y, err := c.build(P, in)
	if err != nil {
		t.Fatal(err)
	}
	p, err := e.Explain(Y)
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Steps) != 1 || p.Steps[0].Op != engine.OpMatMulEpilogue {
		t.Fatalf("not one matmul_epilogue step:\n%s", p)
	}
	got, err := Y.Float32()
	if err != nil {
		t.Fatal(err)
	}
	for i := range m {
		for j := range n {
			var pf, mag float64
			for q := range k {
				x, y := float64(av[i*k+q]), float64(bv[q*n+j])
				if tr[0] {
					x = float64(av[q*m+i])
				}
				if tr[1] {
					y = float64(bv[j*k+q])
				}
				pf += x * y
				mag += math.Abs(x * y)
			}
			want := c.ref(pf, vals, i, j, n)
			// The product's error through the epilogue, and a few
			// roundings of float32 arithmetic (erf within 2 ulps) on the
			// epilogue's terms.
			tol := c.slope*sumBound(k, mag)*max(1, math.Abs(float64(vals["col"][i]))) +
				8*0x1p-24*(math.Abs(want)+mag+math.Abs(float64(vals["bias"][j]))+math.Abs(float64(vals["res"][i*n+j])))
			if g := float64(got[i*n+j]); !(math.Abs(g-want) <= tol) {
				t.Fatalf("element (%d, %d) = %v, want %v (tolerance %.3g)", i, j, g, want, tol)
			}
		}
	}
}
