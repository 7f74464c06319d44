package backendtest

import (
	"errors"
	"math"
	"math/rand/v2"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/silica-go/silica/engine"
	"github.com/silica-go/silica/internal/testenv"
)

// floatTypes are the dtypes every element-wise and matrix test covers.
var floatTypes = []engine.DType{engine.Float32, engine.Float16, engine.BFloat16}

// Run runs the whole suite on b (which it does not close) as subtests of
// t. The random seed is fixed per case; set SILICA_TEST_SEED to draw other
// inputs.
func Run(t *testing.T, name string, b engine.Backend) {
	seed := uint64(1)
	if s := os.Getenv("SILICA_TEST_SEED"); s != "" {
		v, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			t.Fatalf("SILICA_TEST_SEED=%q: %v", s, err)
		}
		seed = v
	}
	e := Poisoned(name, b)
	subset, _ := b.(engine.OpSubset)
	// Each case names the primitive ops it exercises where it is about
	// them: a compat peer that lacks one (engine.OpSubset) skips the case,
	// saying so; any other backend runs every case.
	cases := []struct {
		name string
		ops  []engine.Op
		f    func(*testing.T, *suite)
	}{
		{"Unary", nil, testUnary},
		{"Binary", nil, testBinary},
		{"FMA", []engine.Op{engine.OpFMA}, testFMA},
		{"Erf", []engine.Op{engine.OpErf}, testErf},
		{"Chain", nil, testChain},
		{"Reduce", []engine.Op{engine.OpSum, engine.OpReduceMax, engine.OpNorm}, testReduce},
		{"Normalize", []engine.Op{engine.OpNormalize}, testNormalize},
		{"LayerNorm", []engine.Op{engine.OpLayerNorm}, testLayerNorm},
		{"Attention", []engine.Op{engine.OpAttention}, testAttention},
		{"Segment", []engine.Op{engine.OpSegmentSum, engine.OpSegmentMax}, testSegment},
		{"MatMul", []engine.Op{engine.OpMatMul}, testMatMul},
		{"Cosine", nil, testCosine},
		{"L2Distance", []engine.Op{engine.OpL2Distance}, testL2Distance},
		{"TopK", []engine.Op{engine.OpTopK}, testTopK},
		{"TopKTiesAndNaN", []engine.Op{engine.OpTopK}, testTopKTiesNaN},
		{"Scan", nil, testScan},
		{"MaskRows", []engine.Op{engine.OpMaskRows}, testMaskRows},
		{"ScanMasked", []engine.Op{engine.OpMaskRows}, testScanMasked},
		{"ScanQuantized", nil, testScanQuantized},
		{"Gather", []engine.Op{engine.OpGather}, testGather},
		{"Slice", []engine.Op{engine.OpSlice}, testSlice},
		{"CopyRows", nil, testCopyRows},
		{"Cast", []engine.Op{engine.OpCast}, testCast},
		{"Quantize", []engine.Op{engine.OpQuantize, engine.OpDequantize}, testQuantize},
		{"InputsUnchanged", nil, testInputsUnchanged},
		{"ReusedSlot", nil, testReusedSlot},
		{"CustomKernel", nil, testCustom},
	}
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			for _, op := range c.ops {
				if subset != nil && !subset.Implements(op) {
					t.Logf("%s does not implement %s (a compat peer's shim lists the ops it implements)", name, op)
					testenv.SkipBecause(t, "op not in the peer's shim")
				}
			}
			c.f(t, &suite{t: t, e: e, rng: rand.New(rand.NewPCG(seed, uint64(i)))})
		})
	}
}

func testUnary(t *testing.T, s *suite) {
	ops := []struct {
		op  engine.Op
		f   func(*engine.Array) (*engine.Array, error)
		ref func(float64) float64
		gen func(*rand.Rand) float64
	}{
		{engine.OpNeg, engine.Neg, func(x float64) float64 { return -x }, normal},
		{engine.OpAbs, engine.Abs, math.Abs, normal},
		{engine.OpSqrt, engine.Sqrt, math.Sqrt, uniform(0.01, 9)},
		{engine.OpRsqrt, engine.Rsqrt, func(x float64) float64 { return 1 / math.Sqrt(x) }, uniform(0.01, 9)},
		{engine.OpExp, engine.Exp, math.Exp, uniform(-4, 4)},
		{engine.OpLog, engine.Log, math.Log, uniform(0.01, 9)},
		{engine.OpErf, engine.Erf, math.Erf, uniform(-4.5, 4.5)},
		{engine.OpScale, func(a *engine.Array) (*engine.Array, error) { return engine.Scale(a, -2.75) },
			func(x float64) float64 { return x * -2.75 }, normal},
	}
	shapes := []engine.Shape{{1}, {7, 33}, {3, 5, 9}, {2, 3, 4, 5}, {10007}}
	for _, o := range ops {
		for _, dt := range floatTypes {
			for _, sh := range shapes {
				a, x := s.random(t, dt, sh, o.gen)
				y := s.ok(o.f(a))
				want := broadcastRef(sh, func(a []float64) float64 { return o.ref(a[0]) }, x)
				expect(t, name(o.op, " ", dt, sh), y, sh, want, Tol(dt))
			}
		}
	}
}

// erfULPs bounds erf's error element by element, in units of the result
// dtype's epsilon times max(|erf(x)|, 1/2): relative above 1/2, absolute
// (against the 1 of GELU's 1 + erf) below. Silica's backends and libtorch
// are held to 4: Metal's erff is within 1.22 ulp on every float32
// (measured; kernels/metal/silica.h), CUDA's erff within 2 ulp (its
// documentation), the CPU's math.Erf within half an ulp; a 16-bit result
// adds one rounding (half an ulp). MLX gets erfULPsMLX: MLX 0.32's erf is
// off by up to 4.5 epsilons absolute (8.9 in this measure, near x = -0.03;
// it returns 0 for |x| <= 1e-7), so a looser bound there keeps a peer's
// error from loosening our own.
const (
	erfULPs    = 4
	erfULPsMLX = 12
)

// testErf checks erf element by element at its edges: NaN, +-Inf and
// +-large inputs, zeros, tiny values, both sides of 1 and of 3.92 (where
// approximations switch formulas) and a sweep of 1001 points over
// [-5, 5], each within erfULPs of math.Erf of the input rounded to dt
// (the reference rounded to dt too).
func testErf(t *testing.T, s *suite) {
	xs := []float64{math.Inf(1), math.Inf(-1), 1e30, -1e30, 0, math.Copysign(0, -1), 1e-20, -1e-20, 1e-3, -1e-3,
		math.Nextafter(1, 0), 1, -math.Nextafter(1, 0), -1, 3.919, 3.921, -3.92, 3.83, 6, -9}
	for i := range 1001 {
		xs = append(xs, -5+float64(i)/100+0.001*s.rng.Float64())
	}
	eps := map[engine.DType]float64{engine.Float32: 0x1p-23, engine.Float16: 0x1p-10, engine.BFloat16: 0x1p-7}
	ulps := float64(erfULPs)
	if strings.HasPrefix(s.e.Name(), "mlx") {
		ulps = erfULPsMLX
	}
	for _, dt := range floatTypes {
		in := append([]float32{float32(math.NaN())}, make([]float32, len(xs))...)
		want := make([]float64, len(xs))
		tol := make([]float64, len(xs))
		for i, x := range xs {
			x = roundTo(dt, x)
			in[i+1] = float32(x)
			want[i] = roundTo(dt, math.Erf(x))
			tol[i] = ulps * eps[dt] * math.Max(math.Abs(want[i]), 0.5)
		}
		a, err := s.e.FromFloat32As(in, dt, len(in))
		if err != nil {
			t.Fatal(err)
		}
		got := values(t, s.ok(engine.Erf(a)))
		if !math.IsNaN(got[0]) {
			t.Fatalf("erf %s: erf(NaN) = %g, want NaN", dt, got[0])
		}
		for i, w := range want {
			if d := math.Abs(got[i+1] - w); !(d <= tol[i]) {
				t.Fatalf("erf %s: erf(%g) = %g, want %g within %.3g (off by %.3g)", dt, in[i+1], got[i+1], w, tol[i], d)
			}
		}
	}
}

func testBinary(t *testing.T, s *suite) {
	ops := []struct {
		op  engine.Op
		f   func(a, b *engine.Array) (*engine.Array, error)
		ref func(a, b float64) float64
	}{
		{engine.OpAdd, engine.Add, func(a, b float64) float64 { return a + b }},
		{engine.OpSub, engine.Sub, func(a, b float64) float64 { return a - b }},
		{engine.OpMul, engine.Mul, func(a, b float64) float64 { return a * b }},
		{engine.OpDiv, engine.Div, func(a, b float64) float64 { return a / b }},
		{engine.OpMax, engine.Maximum, math.Max},
		{engine.OpMin, engine.Minimum, math.Min},
	}
	pairs := [][2]engine.Shape{
		{{7, 33}, {7, 33}}, {{7, 33}, {33}}, {{7, 1}, {1, 33}}, {{1}, {5, 3}},
		{{2, 1, 4}, {3, 1}}, {{2, 3, 1, 5}, {4, 1}}, {{10007}, {10007}}, {{1}, {1}},
		// Rows of a multiple of 4 broadcast down the other operand (a
		// product's bias): CUDA moves these as float4s.
		{{9, 40}, {40}}, {{40}, {9, 40}}, {{2, 3, 8}, {1, 8}}, {{3, 4}, {1, 1, 4}},
	}
	for _, o := range ops {
		for _, dt := range floatTypes {
			for _, p := range pairs {
				a, x := s.random(t, dt, p[0], normal)
				b, y := s.random(t, dt, p[1], awayFromZero)
				out, err := engine.Broadcast(p[0], p[1])
				if err != nil {
					t.Fatal(err)
				}
				c := s.ok(o.f(a, b))
				ref := func(a []float64) float64 { return o.ref(a[0], a[1]) }
				expect(t, name(o.op, " ", dt, p), c, out, broadcastRef(out, ref, x, y), Tol(dt))
			}
		}
	}
}

func testFMA(t *testing.T, s *suite) {
	for _, dt := range floatTypes {
		// A column and a row broadcast; then a row (of a multiple of 4)
		// and a single element.
		for _, sh := range [][3]engine.Shape{{{5, 17}, {17}, {5, 1}}, {{6, 20}, {20}, {1}}} {
			a, x := s.random(t, dt, sh[0], normal)
			b, y := s.random(t, dt, sh[1], normal)
			c, z := s.random(t, dt, sh[2], normal)
			out := sh[0]
			expect(t, name("fma ", dt, sh), s.ok(engine.FMA(a, b, c)), out, broadcastRef(out, fmaRef, x, y, z), Tol(dt))
		}
	}
}

// testChain builds exp((a*b + c) * 0.5) - a, a chain the scheduler fuses
// into one kernel where the backend can, and checks the fused and the
// unfused evaluations agree with the reference.
func testChain(t *testing.T, s *suite) {
	for _, dt := range floatTypes {
		sh := engine.Shape{3, 1001}
		a, x := s.random(t, dt, sh, uniform(-1, 1))
		b, y := s.random(t, dt, engine.Shape{1001}, uniform(-1, 1))
		c, z := s.random(t, dt, engine.Shape{3, 1}, uniform(-1, 1))
		build := func() *engine.Array {
			m := s.ok(engine.Mul(a, b))
			p := s.ok(engine.Add(m, c))
			h := s.ok(engine.Scale(p, 0.5))
			ex := s.ok(engine.Exp(h))
			return s.ok(engine.Sub(ex, a))
		}
		want := broadcastRef(sh, func(v []float64) float64 {
			return math.Exp((v[0]*v[1]+v[2])*0.5) - v[0]
		}, x, y, z)
		// Intermediates are kept in float32 when fused; rounding each one to a
		// 16-bit type when not fused adds a few ulps.
		tol := Tol(dt) * 3
		fused := build()
		expect(t, name("chain ", dt), fused, sh, want, tol)
		// Unfused: evaluate every intermediate on its own.
		m := s.ok(engine.Mul(a, b))
		if err := m.Eval(); err != nil {
			t.Fatal(err)
		}
		p := s.ok(engine.Add(m, c))
		if err := p.Eval(); err != nil {
			t.Fatal(err)
		}
		h := s.ok(engine.Scale(p, 0.5))
		ex := s.ok(engine.Exp(h))
		if err := ex.Eval(); err != nil {
			t.Fatal(err)
		}
		expect(t, name("chain unfused ", dt), s.ok(engine.Sub(ex, a)), sh, want, tol)
		// One plan of several kernels, each reading what the one before
		// wrote (normalize, a fused add and exp, a row sum): on a backend
		// that overlaps its launches, a missing barrier shows here.
		nx := normalizeRef(x.v, sh[1])
		sums := make([]float64, sh[0])
		for r := range sums {
			for j := range sh[1] {
				sums[r] += math.Exp(nx[r*sh[1]+j] + y.v[j])
			}
		}
		n := s.ok(engine.Normalize(a))
		sum := s.ok(engine.Sum(s.ok(engine.Exp(s.ok(engine.Add(n, b)))), 1))
		expect(t, name("chain across kernels ", dt), sum, engine.Shape{sh[0]}, sums, tol)
	}
}

func testReduce(t *testing.T, s *suite) {
	ops := []struct {
		op engine.Op
		f  func(*engine.Array, int) (*engine.Array, error)
	}{{engine.OpSum, engine.Sum}, {engine.OpReduceMax, engine.ReduceMax}, {engine.OpNorm, engine.Norm}}
	cases := []struct {
		shape engine.Shape
		axis  int
	}{{engine.Shape{13, 37}, 0}, {engine.Shape{13, 37}, 1}, {engine.Shape{13, 37}, -1}, {engine.Shape{3, 4, 5}, 1},
		{engine.Shape{1, 1}, 1}, {engine.Shape{20001}, 0}, {engine.Shape{2, 3, 4, 5}, 3}}
	for _, o := range ops {
		for _, dt := range floatTypes {
			for _, c := range cases {
				a, x := s.random(t, dt, c.shape, normal)
				ax := c.axis
				if ax < 0 {
					ax += len(c.shape)
				}
				out := append(c.shape[:ax:ax], c.shape[ax+1:]...)
				want := reduceRef(o.op, x, ax)
				what := name(o.op, " ", dt, c.shape, " axis ", c.axis)
				if o.op != engine.OpSum {
					expect(t, what, s.ok(o.f(a, c.axis)), out, want, TolFloat32)
					continue
				}
				// A sum of random signs cancels: measure each output's error
				// against the magnitude of its terms and their count, not
				// against the result.
				abs := tensor{x.shape, make([]float64, len(x.v))}
				for i, v := range x.v {
					abs.v[i] = math.Abs(v)
				}
				tol := reduceRef(engine.OpSum, abs, ax)
				for i, m := range tol {
					tol[i] = SumTol*math.Sqrt(float64(c.shape[ax]))*m + 0x1p-24*math.Abs(want[i])
				}
				expectEach(t, what, s.ok(o.f(a, c.axis)), out, want, tol)
			}
		}
	}
}

func testNormalize(t *testing.T, s *suite) {
	for _, dt := range floatTypes {
		for _, sh := range []engine.Shape{{1, 5}, {17, 129}, {300}, {2, 3, 7}, {4, 768}} {
			a, x := s.random(t, dt, sh, normal)
			d := sh[len(sh)-1]
			expect(t, name("normalize ", dt, sh), s.ok(engine.Normalize(a)), sh, normalizeRef(x.v, d), Tol(dt))
		}
		// A zero row stays zero, beside ordinary rows and (float32 and
		// bfloat16, whose range allows it) a row of norm about 1e-8, which is
		// still normalized to unit length: the floor is 1e-12.
		v := make([]float32, 4*9)
		for i := range v {
			switch {
			case i/9 == 3 && dt != engine.Float16:
				v[i] = float32(1e-8 * s.rng.NormFloat64())
			case i/9 != 1:
				v[i] = float32(s.rng.NormFloat64())
			}
		}
		a, err := s.e.FromFloat32As(v, dt, 4, 9)
		if err != nil {
			t.Fatal(err)
		}
		x := make([]float64, len(v))
		for i := range v {
			x[i] = roundTo(dt, float64(v[i]))
		}
		expect(t, name("normalize zero and tiny rows ", dt), s.ok(engine.Normalize(a)), engine.Shape{4, 9}, normalizeRef(x, 9), Tol(dt))
	}
}

// testLayerNorm checks LayerNorm against layerNormRef in float64 on the
// inputs rounded to each dtype, within Tol(dt): rows of mean about 4
// (so that a kernel that skips the mean, or subtracts it late, fails), of
// 1 to 4097 elements, rank 1 to 3; an eps large beside the variance; eps
// 0; constant rows, whose variance is 0 (y = beta exactly); and the
// builder's errors.
func testLayerNorm(t *testing.T, s *suite) {
	cases := []struct {
		shape engine.Shape
		std   float64
		eps   float32
	}{
		{engine.Shape{1, 1}, 1, 1e-5}, {engine.Shape{7, 33}, 1, 1e-5}, {engine.Shape{3, 5, 129}, 1, 1e-5},
		{engine.Shape{2, 768}, 1, 1e-5}, {engine.Shape{1, 4097}, 1, 1e-5}, {engine.Shape{300}, 1, 1e-5},
		{engine.Shape{65, 100}, 1, 1e-5}, {engine.Shape{9, 70}, 0.3, 0.25}, {engine.Shape{4, 31}, 2, 0},
	}
	for _, dt := range floatTypes {
		for _, c := range cases {
			d := c.shape[len(c.shape)-1]
			x, xv := s.random(t, dt, c.shape, func(r *rand.Rand) float64 { return 4 + c.std*r.NormFloat64() })
			g, gv := s.random(t, dt, engine.Shape{d}, normal)
			b, bv := s.random(t, dt, engine.Shape{d}, normal)
			want := layerNormRef(xv.v, gv.v, bv.v, d, float64(c.eps))
			expect(t, name("layer_norm ", dt, c.shape, " eps ", c.eps), s.ok(engine.LayerNorm(x, g, b, c.eps)), c.shape, want, Tol(dt))
		}
		// Constant rows: the variance is 0, so y = beta (times gamma*0).
		v := make([]float32, 3*50)
		for i := range v {
			v[i] = float32(i/50) - 1.5
		}
		x, err := s.e.FromFloat32As(v, dt, 3, 50)
		if err != nil {
			t.Fatal(err)
		}
		g, _ := s.random(t, dt, engine.Shape{50}, normal)
		b, bv := s.random(t, dt, engine.Shape{50}, normal)
		want := append(append(slices.Clone(bv.v), bv.v...), bv.v...)
		expect(t, name("layer_norm constant rows ", dt), s.ok(engine.LayerNorm(x, g, b, 1e-5)), engine.Shape{3, 50}, want, 0)
	}
	x, _ := s.random(t, engine.Float32, engine.Shape{4, 8}, normal)
	g, _ := s.random(t, engine.Float32, engine.Shape{8}, normal)
	g7, _ := s.random(t, engine.Float32, engine.Shape{7}, normal)
	g16, _ := s.random(t, engine.Float16, engine.Shape{8}, normal)
	for _, c := range []struct {
		what        string
		gamma, beta *engine.Array
		eps         float32
	}{
		{"gamma of 7 for rows of 8", g7, g, 1e-5}, {"float16 beta", g, g16, 1e-5},
		{"negative eps", g, g, -1e-5}, {"NaN eps", g, g, float32(math.NaN())}, {"infinite eps", g, g, float32(math.Inf(1))},
	} {
		if _, err := engine.LayerNorm(x, c.gamma, c.beta, c.eps); err == nil {
			t.Errorf("layer_norm with %s: no error", c.what)
		}
	}
}

// layerNormRef is LayerNorm of rows of d in float64: the mean, the biased
// variance, then (x - mean) / sqrt(var + eps) * gamma + beta.
func layerNormRef(x, gamma, beta []float64, d int, eps float64) []float64 {
	y := make([]float64, len(x))
	for r := 0; r < len(x); r += d {
		row := x[r : r+d]
		mean, v := 0.0, 0.0
		for _, a := range row {
			mean += a
		}
		mean /= float64(d)
		for _, a := range row {
			v += (a - mean) * (a - mean)
		}
		inv := 1 / math.Sqrt(v/float64(d)+eps)
		for j, a := range row {
			y[r+j] = (a-mean)*inv*gamma[j] + beta[j]
		}
	}
	return y
}

func testMatMul(t *testing.T, s *suite) {
	// {130, 40, 136}: partial tiles and a partial last stage of the tensor-core
	// product of 16-bit operands (cuda, matmul_mma.cu).
	sizes := [][3]int{{1, 1, 1}, {3, 5, 7}, {33, 65, 17}, {64, 64, 64}, {129, 257, 70}, {1, 768, 300}, {130, 40, 136}}
	for _, dt := range floatTypes {
		for _, mkn := range sizes {
			m, k, n := mkn[0], mkn[1], mkn[2]
			for _, tr := range [][2]bool{{false, false}, {false, true}, {true, false}, {true, true}} {
				sa, sb := engine.Shape{m, k}, engine.Shape{k, n}
				if tr[0] {
					sa = engine.Shape{k, m}
				}
				if tr[1] {
					sb = engine.Shape{n, k}
				}
				a, x := s.random(t, dt, sa, normal)
				b, y := s.random(t, dt, sb, normal)
				want := pairRef(rows(x.v, sa[0], sa[1], tr[0]), rows(y.v, sb[0], sb[1], !tr[1]), dot64)
				c := s.ok(engine.MatMul(a, b, tr[0], tr[1]))
				expect(t, name("matmul ", dt, " ", mkn, " trans ", tr), c, engine.Shape{m, n}, want, TolFloat32)
			}
		}
	}
}

func testCosine(t *testing.T, s *suite) {
	for _, dt := range floatTypes {
		for _, c := range [][3]int{{1, 65, 37}, {5, 65, 37}, {3, 768, 1001}} {
			m, d, n := c[0], c[1], c[2]
			a, x := s.random(t, dt, engine.Shape{m, d}, normal)
			b, y := s.random(t, dt, engine.Shape{n, d}, normal)
			nx, ny := normalizeRef(x.v, d), normalizeRef(y.v, d)
			want := pairRef(rows(nx, m, d, false), rows(ny, n, d, false), dot64)
			// Unfused backends round the normalized rows to dt before the product.
			expect(t, name("cosine ", dt, c), s.ok(engine.Cosine(a, b)), engine.Shape{m, n}, want, Tol(dt))
		}
	}
}

func testL2Distance(t *testing.T, s *suite) {
	for _, dt := range floatTypes {
		for _, c := range [][3]int{{1, 1, 1}, {5, 65, 37}, {2, 300, 1001}} {
			m, d, n := c[0], c[1], c[2]
			a, x := s.random(t, dt, engine.Shape{m, d}, normal)
			b, y := s.random(t, dt, engine.Shape{n, d}, normal)
			want := pairRef(rows(x.v, m, d, false), rows(y.v, n, d, false), sqdist64)
			expect(t, name("l2 ", dt, c), s.ok(engine.L2Distance(a, b)), engine.Shape{m, n}, want, TolFloat32)
		}
	}
}

func testTopK(t *testing.T, s *suite) {
	cases := []struct {
		shape engine.Shape
		k     int
	}{
		{engine.Shape{1}, 1}, {engine.Shape{1000}, 1}, {engine.Shape{1000}, 10}, {engine.Shape{1000}, 1000},
		{engine.Shape{1000}, 2000}, {engine.Shape{7, 513}, 5}, {engine.Shape{7, 513}, 513}, {engine.Shape{1, 1}, 3},
		{engine.Shape{3, 70001}, 100}, {engine.Shape{2, 5000}, 1500}, {engine.Shape{1, 300000}, 4097},
	}
	for _, dt := range floatTypes {
		for _, c := range cases {
			for _, largest := range []bool{true, false} {
				a, x := s.random(t, dt, c.shape, normal)
				v, i, err := engine.TopK(a, c.k, largest)
				if err != nil {
					t.Fatal(err)
				}
				n := c.shape[len(c.shape)-1]
				m := c.shape.Size() / n
				want := c.shape.Clone()
				want[len(want)-1] = min(c.k, n)
				if !v.Shape().Equal(want) || !i.Shape().Equal(want) || i.DType() != engine.Int64 {
					t.Fatalf("topk %v k=%d: shapes %v %v (%s), want %v int64", c.shape, c.k, v.Shape(), i.Shape(), i.DType(), want)
				}
				expectTopK(t, name("topk ", dt, c.shape, " k=", c.k, " largest=", largest), v, i, x.v, m, n, c.k, largest, 0)
			}
		}
	}
	if _, _, err := engine.TopK(s.ok(s.e.RandomNormal(1, engine.Float32, 4)), 0, true); err == nil {
		t.Error("topk with k=0: no error")
	}
}

// testTopKTiesNaN checks the ordering rules on exact ties and NaN.
func testTopKTiesNaN(t *testing.T, s *suite) {
	n := 3000
	v := make([]float32, n)
	for i := range v {
		v[i] = float32(s.rng.IntN(7)) // many exact ties
	}
	nan := float32(math.NaN())
	for _, i := range []int{0, 5, 17, 2999} {
		v[i] = nan
	}
	ref := make([]float64, n)
	for i := range v {
		ref[i] = float64(v[i])
	}
	a := s.ok(s.e.FromFloat32(v, 1, n))
	for _, k := range []int{1, 10, 700, n} {
		for _, largest := range []bool{true, false} {
			vals, idx, err := engine.TopK(a, k, largest)
			if err != nil {
				t.Fatal(err)
			}
			expectTopK(t, name("ties k=", k, " largest=", largest), vals, idx, ref, 1, n, k, largest, 0)
		}
	}
	// All NaN: NaN comes back, in index order.
	all := s.ok(s.e.FromFloat32([]float32{nan, nan, nan}, 3))
	vals, idx, err := engine.TopK(all, 2, true)
	if err != nil {
		t.Fatal(err)
	}
	expectTopK(t, "all NaN", vals, idx, []float64{math.NaN(), math.NaN(), math.NaN()}, 1, 3, 2, true, 0)
	if got, _ := idx.Int64(); got[0] != 0 || got[1] != 1 {
		t.Errorf("all NaN: indices %v, want [0 1]", got)
	}
}

// search is a scan's scores: built on the engine and as a float64
// reference of queries [m, d] against rows [n, d]; large: larger is better.
type search struct {
	metric string
	build  func(q, x *engine.Array) (*engine.Array, error)
	ref    func(q, x []float64, m, n, d int) []float64
	large  bool
}

// metricSearches are the scores of the store's metrics: cosine, dot, L2.
func metricSearches() []search {
	return []search{
		{"cosine", engine.Cosine, func(q, x []float64, m, n, d int) []float64 {
			return pairRef(rows(normalizeRef(q, d), m, d, false), rows(normalizeRef(x, d), n, d, false), dot64)
		}, true},
		{"dot", func(q, x *engine.Array) (*engine.Array, error) { return engine.MatMul(q, x, false, true) },
			func(q, x []float64, m, n, d int) []float64 {
				return pairRef(rows(q, m, d, false), rows(x, n, d, false), dot64)
			}, true},
		{"l2", engine.L2Distance, func(q, x []float64, m, n, d int) []float64 {
			return pairRef(rows(q, m, d, false), rows(x, n, d, false), sqdist64)
		}, false},
	}
}

// testScan checks searches the scheduler fuses into one scan (where the
// backend can) against brute force in float64: cosine, dot and L2, one to
// many queries, k from 1 to beyond n.
func testScan(t *testing.T, s *suite) {
	searches := append(metricSearches(), search{"cosine-stored-unit", func(q, x *engine.Array) (*engine.Array, error) {
		nq, err := engine.Normalize(q)
		if err != nil {
			return nil, err
		}
		return engine.MatMul(nq, x, false, true)
	}, func(q, x []float64, m, n, d int) []float64 {
		return pairRef(rows(normalizeRef(q, d), m, d, false), rows(x, n, d, false), dot64)
	}, true})
	shapes := [][4]int{ // m, n, d, k
		{1, 1, 1, 1}, {1, 1000, 31, 10}, {1, 3001, 768, 100}, {5, 3001, 65, 3001}, {5, 777, 65, 1000},
		{64, 2049, 96, 100}, {300, 1500, 40, 17}, {1, 20000, 8, 1024}, {2, 5000, 16, 2048},
	}
	for _, dt := range floatTypes {
		for _, sr := range searches {
			for _, sh := range shapes {
				m, n, d, k := sh[0], sh[1], sh[2], sh[3]
				if dt != engine.Float32 && (m > 64 || n > 5000) {
					continue // the 16-bit types run the smaller shapes
				}
				q, qv := s.random(t, dt, engine.Shape{m, d}, normal)
				x, xv := s.random(t, dt, engine.Shape{n, d}, normal)
				scores := s.ok(sr.build(q, x))
				vals, idx, err := engine.TopK(scores, k, sr.large)
				if err != nil {
					t.Fatal(err)
				}
				ref := sr.ref(qv.v, xv.v, m, n, d)
				tol := 1e-5
				if dt != engine.Float32 && sr.metric != "dot" && sr.metric != "l2" {
					tol = Tol(dt) // normalized rows may be rounded to dt when not fused
				}
				expectTopK(t, name("scan ", sr.metric, " ", dt, " m,n,d,k=", sh), vals, idx, ref, m, n, k, sr.large, tol)
			}
		}
	}
}

// testScanQuantized searches int8 rows with per-row scales.
func testScanQuantized(t *testing.T, s *suite) {
	for _, sh := range [][4]int{{1, 1000, 64, 10}, {7, 2001, 33, 100}, {3, 50, 768, 60}} {
		m, n, d, k := sh[0], sh[1], sh[2], sh[3]
		qa, qv := s.random(t, engine.Float32, engine.Shape{m, d}, normal)
		raw := make([]float32, n*d)
		for i := range raw {
			raw[i] = float32(s.rng.NormFloat64())
		}
		qi, sc, deq := s.quantized(t, s.ok(s.e.FromFloat32(raw, n, d)), n, d)
		for _, metric := range []string{"dot", "cosine", "l2"} {
			scores, ref, large := s.quantizedScores(metric, qa, qv, qi, sc, deq, m, n, d)
			vals, idx, err := engine.TopK(scores, k, large)
			if err != nil {
				t.Fatal(err)
			}
			expectTopK(t, name("int8 scan ", metric, sh), vals, idx, ref, m, n, k, large, 1e-5)
		}
	}
}

// quantized quantizes the rows xa [n, d] (engine.Quantize, evaluated) and
// returns the int8 rows, their scales and the rows as dequantized, in
// float64.
func (s *suite) quantized(t *testing.T, xa *engine.Array, n, d int) (qi, sc *engine.Array, deq []float64) {
	qi, sc, err := engine.Quantize(xa)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.e.Eval(qi, sc); err != nil {
		t.Fatal(err)
	}
	ints, _ := qi.Int64()
	scales := values(t, sc)
	deq = make([]float64, n*d)
	for r := range n {
		for j := range d {
			deq[r*d+j] = float64(ints[r*d+j]) * scales[r]
		}
	}
	return qi, sc, deq
}

// quantizedScores builds the [m, n] scores under metric ("dot",
// "cosine" or "l2") of the queries qa (values qv) against the int8 rows qi
// with scales sc (Dequantize under the scores; deq their values), and
// their float64 reference; large says whether larger scores are better.
func (s *suite) quantizedScores(metric string, qa *engine.Array, qv tensor, qi, sc *engine.Array, deq []float64, m, n, d int) (*engine.Array, []float64, bool) {
	x := s.ok(engine.Dequantize(qi, sc))
	switch metric {
	case "dot":
		return s.ok(engine.MatMul(qa, x, false, true)), pairRef(rows(qv.v, m, d, false), rows(deq, n, d, false), dot64), true
	case "cosine":
		return s.ok(engine.Cosine(qa, x)), pairRef(rows(normalizeRef(qv.v, d), m, d, false), rows(normalizeRef(deq, d), n, d, false), dot64), true
	}
	return s.ok(engine.L2Distance(qa, x)), pairRef(rows(qv.v, m, d, false), rows(deq, n, d, false), sqdist64), false
}

func testGather(t *testing.T, s *suite) {
	for _, dt := range []engine.DType{engine.Float32, engine.Float16, engine.BFloat16} {
		for _, sh := range []engine.Shape{{100, 7}, {1, 3}, {1000}, {50, 3, 5}} {
			a, x := s.random(t, dt, sh, normal)
			rowLen := sh.Size() / sh[0]
			for _, it := range []engine.DType{engine.Int32, engine.Int64} {
				r := 37
				ids := make([]int64, r)
				for i := range ids {
					ids[i] = int64(s.rng.IntN(sh[0]))
				}
				ids[0], ids[r-1] = 0, int64(sh[0]-1)
				idx := indexArray(t, s, ids, it)
				want := make([]float64, 0, r*rowLen)
				for _, i := range ids {
					want = append(want, x.v[int(i)*rowLen:(int(i)+1)*rowLen]...)
				}
				out := append(engine.Shape{r}, sh[1:]...)
				expect(t, name("gather ", dt, sh, " ", it), s.ok(engine.Gather(a, idx)), out, want, 0)
			}
		}
	}
	// A matrix of indices [m, r] (a search's top-k rows mapped to its
	// ids) picks m*r rows in the order of its elements; int64 values
	// (ids) come back bit for bit.
	m, r := 5, 13
	for _, it := range []engine.DType{engine.Int32, engine.Int64} {
		a, x := s.random(t, engine.Float16, engine.Shape{33, 3}, normal)
		rows := make([]int64, m*r)
		for i := range rows {
			rows[i] = int64(s.rng.IntN(33))
		}
		rows[m*r-1] = 32
		want := make([]float64, 0, 3*m*r)
		for _, i := range rows {
			want = append(want, x.v[3*i:3*i+3]...)
		}
		expect(t, name("gather by a matrix ", it), s.ok(engine.Gather(a, indexMatrix(t, s, rows, it, m, r))), engine.Shape{m, r, 3}, want, 0)
		ids := make([]int64, 1001)
		for i := range ids {
			ids[i] = int64(s.rng.Uint64())
		}
		got, err := s.ok(engine.Gather(s.ok(s.e.FromInt64(ids, len(ids))), indexMatrix(t, s, rows, it, m, r))).Int64()
		if err != nil {
			t.Fatal(err)
		}
		for i, row := range rows {
			if got[i] != ids[row] {
				t.Fatalf("gather of int64 by a %s matrix: element %d is %d, want %d (row %d)", it, i, got[i], ids[row], row)
			}
		}
	}
	a, _ := s.random(t, engine.Float32, engine.Shape{10, 4}, normal)
	for _, bad := range []int64{10, -1} {
		g := s.ok(engine.Gather(a, indexArray(t, s, []int64{3, bad}, engine.Int64)))
		if err := g.Eval(); !errors.Is(err, engine.ErrIndexOutOfRange) {
			t.Errorf("gather index %d of 10 rows: error %v, want ErrIndexOutOfRange", bad, err)
		}
		g = s.ok(engine.Gather(a, s.ok(s.e.FromInt64([]int64{3, 0, 9, 1, bad, 2}, 2, 3))))
		if err := g.Eval(); !errors.Is(err, engine.ErrIndexOutOfRange) {
			t.Errorf("gather index %d of 10 rows in a [2 3] matrix: error %v, want ErrIndexOutOfRange", bad, err)
		}
	}
	// Many gathers in one evaluation, one of them out of range: the one
	// named (cuda reads the first 512 gathers' checks back in the run,
	// later ones after it), and none when every index is in range.
	for _, n := range []int{3, 600} {
		for _, at := range []int{-1, 1, n - 1} {
			gs := make([]*engine.Array, n)
			for j := range gs {
				ix := []int64{int64(j % 10), 3}
				if j == at {
					ix[1] = int64(10 + j)
				}
				gs[j] = s.ok(engine.Gather(a, indexArray(t, s, ix, engine.Int64)))
			}
			err := s.e.Eval(gs...)
			switch {
			case at < 0 && err != nil:
				t.Errorf("%d gathers in range in one evaluation: %v", n, err)
			case at >= 0 && (!errors.Is(err, engine.ErrIndexOutOfRange) || !strings.Contains(err.Error(), "index "+strconv.Itoa(10+at)+" ")):
				t.Errorf("%d gathers in one evaluation, gather %d of index %d: error %v, want ErrIndexOutOfRange naming it", n, at, 10+at, err)
			}
			for _, g := range gs {
				g.Free()
			}
		}
	}
}

// indexMatrix is ids as an index matrix [m, r] of dtype dt.
func indexMatrix(t *testing.T, s *suite, ids []int64, dt engine.DType, m, r int) *engine.Array {
	if dt == engine.Int64 {
		return s.ok(s.e.FromInt64(ids, m, r))
	}
	v := make([]int32, len(ids))
	for i, x := range ids {
		v[i] = int32(x)
	}
	return s.ok(s.e.FromInt32(v, m, r))
}

func indexArray(t *testing.T, s *suite, ids []int64, dt engine.DType) *engine.Array {
	if dt == engine.Int64 {
		return s.ok(s.e.FromInt64(ids, len(ids)))
	}
	v := make([]int32, len(ids))
	for i, x := range ids {
		v[i] = int32(x)
	}
	return s.ok(s.e.FromInt32(v, len(v)))
}

func testSlice(t *testing.T, s *suite) {
	for _, dt := range []engine.DType{engine.Float32, engine.Float16} {
		a, x := s.random(t, dt, engine.Shape{100, 37}, normal)
		for _, c := range [][4]int{{0, 100, 0, 37}, {1, 51, 0, 37}, {99, 100, 36, 37}, {3, 17, 5, 30}} {
			want := make([]float64, 0)
			for r := c[0]; r < c[1]; r++ {
				want = append(want, x.v[r*37+c[2]:r*37+c[3]]...)
			}
			out := engine.Shape{c[1] - c[0], c[3] - c[2]}
			expect(t, name("slice ", dt, c), s.ok(engine.Slice(a, c[0], c[1], c[2], c[3])), out, want, 0)
		}
		v, y := s.random(t, dt, engine.Shape{1001}, normal)
		expect(t, name("slice rows ", dt), s.ok(engine.SliceRows(v, 10, 999)), engine.Shape{989}, y.v[10:999], 0)
	}
	a, _ := s.random(t, engine.Float32, engine.Shape{4, 4}, normal)
	for _, c := range [][4]int{{0, 5, 0, 4}, {2, 2, 0, 4}, {0, 4, -1, 2}} {
		if _, err := engine.Slice(a, c[0], c[1], c[2], c[3]); err == nil {
			t.Errorf("slice %v of [4 4]: no error", c)
		}
	}
}

func testCast(t *testing.T, s *suite) {
	sh := engine.Shape{3, 333}
	for _, from := range floatTypes {
		a, x := s.random(t, from, sh, uniform(-300, 300))
		for _, to := range []engine.DType{engine.Float32, engine.Float16, engine.BFloat16, engine.Int32, engine.Int64} {
			want := make([]float64, len(x.v))
			for i, v := range x.v {
				if to == engine.Int32 || to == engine.Int64 {
					want[i] = math.Trunc(v)
				} else {
					want[i] = roundTo(to, v)
				}
			}
			expect(t, name("cast ", from, "->", to), s.ok(engine.Cast(a, to)), sh, want, 0)
		}
	}
	ids := make([]int64, 500)
	for i := range ids {
		ids[i] = int64(s.rng.IntN(4000)) - 2000
	}
	ia := s.ok(s.e.FromInt64(ids, len(ids)))
	want := make([]float64, len(ids))
	for i, v := range ids {
		want[i] = float64(v)
	}
	for _, to := range []engine.DType{engine.Int32, engine.Float32} {
		expect(t, name("cast int64->", to), s.ok(engine.Cast(ia, to)), engine.Shape{500}, want, 0)
	}
}

func testQuantize(t *testing.T, s *suite) {
	for _, dt := range floatTypes {
		for _, sh := range []engine.Shape{{1, 1}, {17, 33}, {5, 768}} {
			a, x := s.random(t, dt, sh, normal)
			q, sc, err := engine.Quantize(a)
			if err != nil {
				t.Fatal(err)
			}
			if err := s.e.Eval(q, sc); err != nil {
				t.Fatal(err)
			}
			d := sh[1]
			wantScale := make([]float64, sh[0])
			for r := range sh[0] {
				m := 0.0
				for _, v := range x.v[r*d : (r+1)*d] {
					m = math.Max(m, math.Abs(v))
				}
				wantScale[r] = m / 127
			}
			expect(t, name("quantize scales ", dt, sh), sc, engine.Shape{sh[0]}, wantScale, TolFloat32)
			ints, err := q.Int64()
			if err != nil {
				t.Fatal(err)
			}
			for i, v := range ints {
				exact := x.v[i] / wantScale[i/d]
				if math.Abs(float64(v)-exact) > 0.5+1e-3 || v < -127 || v > 127 {
					t.Fatalf("quantize %s %v: element %d is %d, want round(%g)", dt, sh, i, v, exact)
				}
			}
			deq := make([]float64, len(ints))
			scales := values(t, sc)
			for i, v := range ints {
				deq[i] = float64(v) * scales[i/d]
			}
			expect(t, name("dequantize ", dt, sh), s.ok(engine.Dequantize(q, sc)), sh, deq, TolFloat32)
		}
	}
}

// testInputsUnchanged checks that no kernel writes its inputs.
func testInputsUnchanged(t *testing.T, s *suite) {
	q, qv := s.random(t, engine.Float32, engine.Shape{3, 50}, normal)
	x, xv := s.random(t, engine.Float32, engine.Shape{400, 50}, normal)
	c := s.ok(engine.Cosine(q, x))
	vals, idx, err := engine.TopK(c, 7, true)
	if err != nil {
		t.Fatal(err)
	}
	ex := s.ok(engine.Exp(s.ok(engine.Add(x, s.ok(engine.Scale(x, 2))))))
	if err := s.e.Eval(vals, idx, ex, s.ok(engine.Normalize(x))); err != nil {
		t.Fatal(err)
	}
	expect(t, "query after use", q, engine.Shape{3, 50}, qv.v, 0)
	expect(t, "rows after use", x, engine.Shape{400, 50}, xv.v, 0)
}

// testReusedSlot evaluates a plan in which a step writes a buffer slot
// that an earlier step of the plan wrote with the right answer: rows are
// normalized (slot A), permuted by a matrix product with a permutation
// matrix (slot B), gathered back into order (slot A again, which already
// holds them) and negated. Poisoning each allocation does not reach the
// gather's output, so an element the gather leaves unwritten is caught
// only by a backend that poisons every step's outputs before the step
// runs, as the test backends do (the package doc says which).
func testReusedSlot(t *testing.T, s *suite) {
	r, d := 37, 129
	a, x := s.random(t, engine.Float32, engine.Shape{r, d}, normal)
	perm := s.rng.Perm(r)
	p := make([]float32, r*r)
	inv := make([]int64, r)
	for i, j := range perm {
		p[i*r+j] = 1 // row i of the product is row perm[i]
		inv[j] = int64(i)
	}
	norm := s.ok(engine.Normalize(a))
	moved := s.ok(engine.MatMul(s.ok(s.e.FromFloat32(p, r, r)), norm, false, false))
	back := s.ok(engine.Gather(moved, s.ok(s.e.FromInt64(inv, r))))
	out := s.ok(engine.Neg(back))
	plan, err := s.e.Explain(out)
	if err != nil {
		t.Fatal(err)
	}
	slot := map[engine.Op]int{}
	for _, st := range plan.Steps {
		slot[st.Op] = plan.Values[st.Out[0]].Slot
	}
	if ns, ok := slot[engine.OpNormalize]; !ok || slot[engine.OpGather] != ns {
		t.Fatalf("the gather does not reuse the normalized rows' slot, so this test checks nothing; plan:\n%s", plan)
	}
	want := normalizeRef(x.v, d)
	for i := range want {
		want[i] = -want[i]
	}
	expect(t, "negated rows gathered into a reused slot", out, engine.Shape{r, d}, want, TolFloat32)
}

// testCustom runs a custom kernel with only a Go function between two
// backend steps: the backend runs it natively (cpu) or the engine runs it
// on the host between two submissions; either way the result is exact.
func testCustom(t *testing.T, s *suite) {
	k, err := engine.NewKernel(engine.KernelSpec{
		Name: "backendtest_reverse_rows",
		Outputs: func(in []engine.Value, _ []int64) ([]engine.Value, error) {
			return []engine.Value{{Shape: in[0].Shape, DType: in[0].DType}}, nil
		},
		Go: func(a *engine.KernelArgs) error {
			rowBytes := len(a.In[0].Data) / a.In[0].Shape[0]
			n := a.In[0].Shape[0]
			for r := range n {
				copy(a.Out[0].Data[r*rowBytes:(r+1)*rowBytes], a.In[0].Data[(n-1-r)*rowBytes:])
			}
			return nil
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, dt := range floatTypes {
		a, x := s.random(t, dt, engine.Shape{33, 7}, normal)
		b := s.ok(engine.Scale(a, 2))
		outs, err := k.Call(nil, b)
		if err != nil {
			t.Fatal(err)
		}
		c := s.ok(engine.Neg(outs[0]))
		want := make([]float64, len(x.v))
		for r := range 33 {
			for j := range 7 {
				want[r*7+j] = -2 * x.v[(32-r)*7+j]
			}
		}
		expect(t, name("custom kernel ", dt), c, engine.Shape{33, 7}, want, 0)
	}
}
