package cuda

import (
	"encoding/binary"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/silica-go/silica/engine"
	"github.com/silica-go/silica/half"
	"github.com/silica-go/silica/internal/testenv"
)

// TestMatMulMMAEmulated runs matmul_mma.cu (the tensor-core product of
// 16-bit operands) in the CPU emulator, float16 and bfloat16, on shapes
// with partial tiles along m and n, a partial last stage of the shared
// dimension and a single stage, with and without the row and column
// factors, and checks every output of the poisoned C against float64
// sums of the same 16-bit values (relative 1e-5 of the sum of the
// products' magnitudes: float32 accumulation).
func TestMatMulMMAEmulated(t *testing.T) {
	t.Parallel()
	cases := []productCase{
		{130, 136, 72, true, true, "partial tiles, a partial last stage, both factors", false},
		{9, 260, 8, false, false, "one short stage, three column tiles", true},
		{129, 7, 200, true, false, "a partial column tile, seven stages", false},
	}
	for _, dt := range []engine.DType{engine.Float16, engine.BFloat16} {
		exe := buildEmuMain(t, matmulMMAVariant(dt), "product_main.cpp")
		rng := rand.New(rand.NewPCG(21, uint64(dt)))
		for _, c := range cases {
			checkProductEmulated(t, exe, dt, c, rng, [2]int{(c.n + mmaTile - 1) / mmaTile, (c.m + mmaTile - 1) / mmaTile}, 0)
		}
	}
}

// TestMatMulSkinnyEmulated runs matmul_skinny.cu (the tensor-core product
// of a few rows of a by many of b) in the CPU emulator, float16 and
// bfloat16, for each query-block count: m from 1 to the most of its
// blocks (partial blocks among them), n not a multiple of 16, K not a
// multiple of 32 or one piece of 8, grids whose warps take several groups
// of rows or fewer than one each, with and without the factors, checked
// as TestMatMulMMAEmulated's are (bfloat16 with one block by default).
func TestMatMulSkinnyEmulated(t *testing.T) {
	t.Parallel()
	cases := []productCase{
		{1, 301, 72, true, false, "one query, a partial piece, three groups a warp", false},
		{3, 40, 8, false, true, "one piece of 8", true},
		{8, 129, 200, true, true, "a whole block", false},
		{13, 77, 96, false, false, "a partial second block", true},
		{29, 50, 40, true, true, "four blocks, one partial", false},
		{64, 33, 264, false, true, "eight whole blocks", false},
	}
	for _, dt := range []engine.DType{engine.Float16, engine.BFloat16} {
		// bfloat16 differs only in its conversions: one block count by
		// default, every one in the exhaustive run (each is a build).
		blocks := skinnyBlocks
		if dt == engine.BFloat16 && !testenv.Exhaustive() {
			blocks = blocks[:1]
		}
		exes := map[int]string{}
		for _, qb := range blocks {
			exes[qb] = buildEmuMain(t, skinnyVariant(dt, qb), "product_main.cpp")
		}
		rng := rand.New(rand.NewPCG(22, uint64(dt)))
		for i, c := range cases {
			qb, smem := skinnyShape(c.m, c.k)
			if exes[qb] == "" {
				continue
			}
			if smem > 256<<10 {
				t.Fatalf("%s: %d bytes of shared memory, the emulator has 256 KiB", c.name, smem)
			}
			checkProductEmulated(t, exes[qb], dt, c, rng, [2]int{1 + i%3, 1}, smem)
		}
	}
}

// productCase is a shape of C = A Bᵀ for the emulated products: A [m, k],
// B [n, k], whether the row factors of A and of B are applied, and
// whether the values span several powers of two.
type productCase struct {
	m, n, k    int
	sa, sb     bool
	name       string
	wideValues bool
}

// checkProductEmulated runs the emulated product exe on grid (the input
// of product_main.cpp: the header, A, B and the factors) with fresh
// random 16-bit values of dtype dt in the shape of c, and checks every
// output of the poisoned C against float64 sums of the same values
// (relative 1e-5 of the sum of the products' magnitudes: float32
// accumulation).
func checkProductEmulated(t *testing.T, exe string, dt engine.DType, c productCase, rng *rand.Rand, grid [2]int, smem int) {
	t.Helper()
	enc := func(rows int) ([]byte, []float64) {
		var raw []byte
		vals := make([]float64, rows*c.k)
		for i := range vals {
			v := float32(rng.NormFloat64())
			if c.wideValues {
				v *= float32(math.Exp2(float64(rng.IntN(12) - 6)))
			}
			if dt == engine.Float16 {
				h := half.FromFloat32(v)
				raw = binary.LittleEndian.AppendUint16(raw, uint16(h))
				vals[i] = float64(h.Float32())
			} else {
				h := half.BFromFloat32(v)
				raw = binary.LittleEndian.AppendUint16(raw, uint16(h))
				vals[i] = float64(h.Float32())
			}
		}
		return raw, vals
	}
	var in []byte
	for _, h := range []int64{int64(c.m), int64(c.n), int64(c.k), b2i(c.sa), b2i(c.sb), int64(grid[0]), int64(grid[1]), int64(smem)} {
		in = binary.LittleEndian.AppendUint64(in, uint64(h))
	}
	ra, av := enc(c.m)
	rb, bv := enc(c.n)
	in = append(append(in, ra...), rb...)
	// factors appends n factors to in and returns what the kernel
	// multiplies by: them when used, else 1.
	factors := func(n int, used bool) []float64 {
		fs := make([]float64, n)
		for i := range fs {
			f := float32(0.5 + rng.Float64())
			in = binary.LittleEndian.AppendUint32(in, math.Float32bits(f))
			fs[i] = 1
			if used {
				fs[i] = float64(f)
			}
		}
		return fs
	}
	sa := factors(c.m, c.sa)
	sb := factors(c.n, c.sb)
	out := runEmu(t, exe, in, 4*c.m*c.n)
	for i := range c.m {
		for j := range c.n {
			var want, mag float64
			for k := range c.k {
				p := av[i*c.k+k] * bv[j*c.k+k]
				want += p
				mag += math.Abs(p)
			}
			want *= sa[i] * sb[j]
			mag *= sa[i] * sb[j]
			got := float64(math.Float32frombits(binary.LittleEndian.Uint32(out[4*(i*c.n+j):])))
			if !(math.Abs(got-want) <= 1e-5*mag+1e-30) {
				t.Fatalf("%s, %s (m %d, n %d, k %d): c[%d][%d] = %g, want %g", dt, c.name, c.m, c.n, c.k, i, j, got, want)
			}
		}
	}
}
