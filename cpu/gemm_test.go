package cpu

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/silica-go/silica/engine"
	"github.com/silica-go/silica/half"
)

// gemmSizes are awkward sizes for every blocking level: 1, around the
// micro-kernel shapes (4, 6, 12, 16, 32), the A block (96) and the panel
// depth (256).
var gemmSizes = [][3]int{
	{1, 1, 1}, {1, 17, 5}, {5, 1, 3}, {6, 16, 1}, {6, 32, 3}, {7, 17, 9}, {13, 33, 31},
	{12, 32, 4}, {11, 31, 2}, {24, 64, 7}, {25, 47, 258}, {36, 96, 11},
	{97, 35, 257}, {3, 200, 300}, {193, 70, 513}, {64, 64, 64},
	{128, 150, 70}, {129, 40, 24}, // at and past gemmDotRows (x·Wᵀ of a few rows: gemmDot)
}

// testGemmSizes is gemmSizes, less the products of 4M multiplications or
// more with -short (TestArm64Emulated's default run under qemu, where
// their float64 references take most of TestGemm's time; 97x35x257
// still crosses the A block and the panel depth).
func testGemmSizes() [][3]int {
	if !testing.Short() {
		return gemmSizes
	}
	return slices.DeleteFunc(slices.Clone(gemmSizes), func(s [3]int) bool { return s[0]*s[1]*s[2] >= 1<<22 })
}

// TestGemm checks the blocked product against a float64 reference for
// every combination of operand layouts, on one worker and several, with
// the output poisoned first; the operands are float32, or float16 (every
// other size) converted as the panels are packed.
func TestGemm(t *testing.T) {
	packedB := gemmPackedB
	defer func() { gemmPackedB = packedB }()
	bothKernelSets(t, func(t *testing.T) {
		r := rand.New(rand.NewPCG(7, 7))
		for si, sz := range testGemmSizes() {
			m, n, k := sz[0], sz[1], sz[2]
			for _, tr := range [][2]bool{{false, false}, {true, false}, {false, true}, {true, true}} {
				a, b := make([]float32, m*k), make([]float32, k*n)
				normals(r, a)
				normals(r, b)
				dt := []engine.DType{engine.Float32, engine.Float16}[si%2]
				a, b = stored32(dt, a), stored32(dt, b)
				am, bm := matrix{data: a, rs: k, cs: 1}, matrix{data: b, rs: n, cs: 1}
				if tr[0] {
					am = matrix{data: a, rs: 1, cs: m}
				}
				if tr[1] {
					bm = matrix{data: b, rs: 1, cs: k}
				}
				want, mag := make([]float64, m*n), make([]float64, m*n)
				for i := range m {
					for j := range n {
						for p := range k {
							x := float64(am.data[i*am.rs+p*am.cs]) * float64(bm.data[p*bm.rs+j*bm.cs])
							want[i*n+j] += x
							mag[i*n+j] += math.Abs(x)
						}
					}
				}
				for _, workers := range []int{1, 3} {
					// With a bound of one byte, B is packed a panel at a time.
					gemmPackedB = map[int]int{1: packedB, 3: 1}[workers]
					out := make([]float32, m*n)
					for i := range out {
						out[i] = float32(math.NaN())
					}
					name := fmt.Sprintf("%dx%dx%d %s trans %v workers %d", m, n, k, dt, tr, workers)
					ar, br := am, bm
					if dt != engine.Float32 {
						ar = matrix{rs: am.rs, cs: am.cs, raw: halves(am.data), dt: dt}
						br = matrix{rs: bm.rs, cs: bm.cs, raw: halves(bm.data), dt: dt}
					}
					(&Backend{workers: workers}).gemm(m, n, k, ar, br, out)
					for i, v := range out {
						if e := math.Abs(float64(v) - want[i]); !(e <= sumBound(k, mag[i])) {
							t.Fatalf("%s: element (%d, %d) = %v, want %v", name, i/n, i%n, v, want[i])
						}
					}
				}
			}
		}
	})
}

// stored32 returns x rounded to what dt stores.
func stored32(dt engine.DType, x []float32) []float32 {
	out := make([]float32, len(x))
	for i, v := range storedValues(dt, x) {
		out[i] = float32(v)
	}
	return out
}

// halves returns x (exact float16 values) encoded as float16.
func halves(x []float32) []byte {
	b := make([]byte, 2*len(x))
	half.EncodeFloat16(b, x)
	return b
}

// TestMatMulOps checks MatMul (every dtype and layout) and the fused
// normalize-matmul through the engine.
func TestMatMulOps(t *testing.T) {
	bothKernelSets(t, func(t *testing.T) {
		r := rand.New(rand.NewPCG(8, 8))
		b := poisoned(2)
		e := engine.New("cpu", b)
		for _, dt := range []engine.DType{engine.Float32, engine.Float16, engine.BFloat16} {
			for _, tr := range [][2]bool{{false, false}, {true, false}, {false, true}, {true, true}} {
				m, n, k := 37, 21, 300
				ash, bsh := []int{m, k}, []int{k, n}
				if tr[0] {
					ash = []int{k, m}
				}
				if tr[1] {
					bsh = []int{n, k}
				}
				av, bv := make([]float32, m*k), make([]float32, k*n)
				normals(r, av)
				normals(r, bv)
				A, err := e.FromFloat32As(av, dt, ash...)
				if err != nil {
					t.Fatal(err)
				}
				B, err := e.FromFloat32As(bv, dt, bsh...)
				if err != nil {
					t.Fatal(err)
				}
				C, err := engine.MatMul(A, B, tr[0], tr[1])
				if err != nil {
					t.Fatal(err)
				}
				got, err := C.Float32()
				if err != nil {
					t.Fatal(err)
				}
				sa, sb := storedValues(dt, av), storedValues(dt, bv)
				for i := range m {
					for j := range n {
						var want, mag float64
						for p := range k {
							x, y := sa[i*k+p], sb[p*n+j]
							if tr[0] {
								x = sa[p*m+i]
							}
							if tr[1] {
								y = sb[j*k+p]
							}
							want += x * y
							mag += math.Abs(x * y)
						}
						if e := math.Abs(float64(got[i*n+j]) - want); !(e <= sumBound(k, mag)) {
							t.Fatalf("%s trans %v: (%d, %d) = %v, want %v", dt, tr, i, j, got[i*n+j], want)
						}
					}
				}
			}
		}
		// Cosine fuses into NormMatMul: rows of both sides normalized.
		m, n, d := 9, 130, 67
		qv, xv := make([]float32, m*d), make([]float32, n*d)
		normals(r, qv)
		normals(r, xv)
		Q, _ := e.FromFloat32(qv, m, d)
		X, _ := e.FromFloat32(xv, n, d)
		S, err := engine.Cosine(Q, X)
		if err != nil {
			t.Fatal(err)
		}
		p, err := e.Explain(S)
		if err != nil || len(p.Steps) != 1 || p.Steps[0].Op != engine.OpNormMatMul {
			t.Fatalf("cosine is not one fused norm_matmul (%v):\n%s", err, p)
		}
		got, err := S.Float32()
		if err != nil {
			t.Fatal(err)
		}
		q64, x64 := storedValues(engine.Float32, qv), storedValues(engine.Float32, xv)
		for i := range m {
			ref, mags := scanRef("cosine", q64[i*d:(i+1)*d], x64, d)
			for j := range n {
				if e := math.Abs(float64(got[i*n+j]) - ref[j]); e > 1e-5*mags[j] {
					t.Fatalf("cosine (%d, %d) = %v, want %v", i, j, got[i*n+j], ref[j])
				}
			}
		}
	})
}
