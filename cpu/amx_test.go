package cpu

import (
	"cmp"
	"encoding/binary"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/silica-go/silica/engine"
	"github.com/silica-go/silica/internal/testenv"
)

// screenKernels runs f with the screened scan's Go kernels (the tile
// unit's three products, and AVX-512 BF16's one with its wider bound) and
// with the assembly ones this machine has (the tile unit's, else AVX-512
// BF16's), then with those (or the Go bfloat16 kernel) and no rows cached
// (screenCacheMax 0: each scan converts its rows); the screened scan runs
// for every scan of amxMinQueries (set to 1) queries or more.
func screenKernels(t *testing.T, f func(t *testing.T)) {
	t.Helper()
	screenVariants(t, true, f)
}

// screenVariants is screenKernels, with the run without a cache only if
// uncached.
func screenVariants(t *testing.T, uncached bool, f func(t *testing.T)) {
	t.Helper()
	setSIMD(true)
	asmDots, asmHits, asmErr, asmLo := amxDots, amxHits, screenErr, amxReadsLo
	min0 := amxMinQueries
	defer func() {
		amxDots, amxHits, screenErr, amxReadsLo, amxMinQueries, amxCostCheck = asmDots, asmHits, asmErr, asmLo, min0, true
	}()
	amxMinQueries, amxCostCheck = 1, false
	t.Run("go", func(t *testing.T) {
		amxDots, amxHits, screenErr, amxReadsLo = amxDotsGo, amxHitsGo, amxErr, true
		f(t)
	})
	t.Run("go-bf16", func(t *testing.T) {
		amxDots, amxHits, screenErr, amxReadsLo = dpbf16DotsGo, amxHitsGo, dpErr, false
		f(t)
	})
	t.Run("asm", func(t *testing.T) {
		if asmDots == nil {
			testenv.SkipBecause(t, "no tile unit (AMX-BF16) or AVX-512 BF16 on this machine")
		}
		amxDots, amxHits, screenErr, amxReadsLo = asmDots, asmHits, asmErr, asmLo
		f(t)
	})
	if !uncached {
		return
	}
	t.Run("uncached", func(t *testing.T) {
		amxDots, amxHits, screenErr, amxReadsLo = asmDots, asmHits, asmErr, asmLo
		if asmDots == nil {
			amxDots, amxHits, screenErr, amxReadsLo = dpbf16DotsGo, amxHitsGo, dpErr, false
		}
		max0 := screenCacheMax
		defer func() { screenCacheMax = max0 }()
		screenCacheMax = 0
		f(t)
	})
}

// freshSeed returns a seed of the clock, logged so that a failure can be
// run again.
func freshSeed(t *testing.T) uint64 {
	s := uint64(time.Now().UnixNano())
	t.Logf("seed %d", s)
	return s
}

// nearTies returns n rows of d values drawn around five base rows, the
// offsets 1e-6 of a base's values (so that many scores differ from
// others by less than the screen's bfloat16 error, and a screen without
// its margin drops rows of the top k), every seventh row a copy of an
// earlier one (ties, broken by the smaller index).
func nearTies(r *rand.Rand, n, d int) []float32 {
	base := make([]float32, 5*d)
	normals(r, base)
	x := make([]float32, n*d)
	for i := range n {
		row := x[i*d : (i+1)*d]
		if i%7 == 6 {
			copy(row, x[(i/2)*d:(i/2+1)*d])
			continue
		}
		for e := range row {
			row[e] = base[(i%5)*d+e] * float32(1+1e-6*r.NormFloat64())
		}
	}
	return x
}

// TestScreenedScan checks the screened scan against the tile scan of the
// same backend: the same values, bit for bit, and the same rows, for dot,
// cosine and L2 scans of stored float32, float16, bfloat16 and int8 rows
// with near ties and ties, with and without a row mask, at awkward sizes.
func TestScreenedScan(t *testing.T) {
	screenKernels(t, func(t *testing.T) {
		r := rand.New(rand.NewPCG(71, freshSeed(t)))
		// The last case has two query chunks (512 queries or more): the two
		// workers share out the queries instead of the rows.
		for _, c := range []scanCase{{37, 333, 77, 20}, {17, 1000, 200, 300}, {33, 1301, 64, 1}, {16, 40, 31, 100}, {530, 301, 40, 5}} {
			qv := make([]float32, c.m*c.d)
			normals(r, qv)
			xv := nearTies(r, c.n, c.d)
			for _, stored := range []string{"float32", "float16", "bfloat16", "int8"} {
				dt, quant := storedForm(stored)
				for _, metric := range []string{"dot", "cosine", "l2"} {
					for _, masked := range []bool{false, true} {
						name := fmt.Sprintf("%v %s %s masked=%t", c, stored, metric, masked)
						var bits []uint32
						if masked {
							bits = make([]uint32, (c.n+31)/32)
							for i := range bits {
								bits[i] = r.Uint32() & r.Uint32() // a quarter of the rows pass
							}
						}
						sameAsTileScan(t, name, metric, dt, quant, c, qv, xv, bits)
					}
				}
			}
		}
	})
}

// TestScreenedGuessMissed checks the screen where its sample misleads
// it: the only rows near the queries are 60 of the sampled ones, so the
// sample's guess of each query's L (from its 26th best of 512) is above
// the k-th best of all rows (k = 100). The scan must notice it for every
// query, and still return the tile scan's results, bit for bit (with
// zero rows among the others, which the scan scores exactly, once).
func TestScreenedGuessMissed(t *testing.T) {
	screenKernels(t, func(t *testing.T) {
		r := rand.New(rand.NewPCG(73, freshSeed(t)))
		c := scanCase{m: 16, n: 5000, d: 40, k: 100}
		sample, _ := (&scanJob{a: engine.Attrs{K: c.k}, m: c.m}).amxSample(c.n)
		if len(sample) != amxSampleRows {
			t.Fatalf("sample of %d rows, want %d", len(sample), amxSampleRows)
		}
		base := make([]float32, c.d)
		normals(r, base)
		qv, xv := make([]float32, c.m*c.d), make([]float32, c.n*c.d)
		normals(r, xv)
		for i := range xv {
			xv[i] = 0.01*xv[i] - 0.1*base[i%c.d] // pointing away from the queries
			if i/c.d%10 == 7 {
				xv[i] = 0 // zero rows, which the scan scores exactly, next after the 60
			}
		}
		for i := range c.m {
			for e := range c.d {
				qv[i*c.d+e] = base[e] + 0.01*float32(r.NormFloat64())
			}
		}
		for _, row := range sample[:60] {
			for e := range c.d {
				xv[row*c.d+e] += base[e]
			}
		}
		for _, metric := range []string{"dot", "cosine", "l2"} {
			before := amxMissed.Load()
			sameAsTileScan(t, metric, metric, engine.Float32, false, c, qv, xv, nil)
			if missed := amxMissed.Load() - before; missed != int64(c.m) {
				t.Fatalf("%s: the guess missed for %d queries, want all %d", metric, missed, c.m)
			}
		}
	})
}

// TestScreenedTinyValues checks the screen where the tile unit flushes
// to zero what falls below float32's normal range: a store of rows of
// about 1e-37 by cosine (their float32 sum of squares underflows, so
// each row's factor is 1/NormEps, which scales up the products the unit
// flushed), and the same rows by dot and L2. The screened scan must
// return the tile scan's results, bit for bit.
func TestScreenedTinyValues(t *testing.T) {
	screenKernels(t, func(t *testing.T) {
		r := rand.New(rand.NewPCG(75, freshSeed(t)))
		c := scanCase{m: 16, n: 700, d: 48, k: 10}
		qv := make([]float32, c.m*c.d)
		normals(r, qv)
		xv := nearTies(r, c.n, c.d)
		for i := range xv {
			xv[i] *= 1e-37 * float32(1+1e-3*float64(i/c.d))
		}
		for _, metric := range []string{"cosine", "dot", "l2"} {
			sameAsTileScan(t, metric, metric, engine.Float32, false, c, qv, xv, nil)
		}
	})
}

// sameAsTileScan runs a scan screened and on the tile kernels, and fails
// at the first value or row (bit for bit) where they differ.
func sameAsTileScan(t *testing.T, name, metric string, dt engine.DType, quant bool, c scanCase, qv, xv []float32, bits []uint32) {
	t.Helper()
	got, gi := screenedRun(t, metric, dt, quant, c, qv, xv, bits, true)
	want, wi := screenedRun(t, metric, dt, quant, c, qv, xv, bits, false)
	for k := range want {
		if math.Float32bits(got[k]) != math.Float32bits(want[k]) || gi[k] != wi[k] {
			t.Fatalf("%s: query %d rank %d: screened %v (row %d), tile scan %v (row %d)",
				name, k/c.k, k%c.k, got[k], gi[k], want[k], wi[k])
		}
	}
}

// screenedRun runs one scan, screened or not, and returns its values and
// rows.
func screenedRun(t *testing.T, metric string, dt engine.DType, quant bool, c scanCase, qv, xv []float32, bits []uint32, screened bool) ([]float32, []int64) {
	t.Helper()
	if !screened {
		dots, hits := amxDots, amxHits
		amxDots, amxHits = nil, nil
		defer func() { amxDots, amxHits = dots, hits }()
	}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	e := engine.New("cpu", poisoned(2))
	qa, err := e.FromFloat32As(qv, dt, c.m, c.d)
	must(err)
	xa, err := e.FromFloat32As(xv, dt, c.n, c.d)
	must(err)
	if quant {
		qx, scales, err := engine.Quantize(xa)
		must(err)
		must(e.Eval(qx, scales))
		xa, err = engine.Dequantize(qx, scales)
		must(err)
	}
	s, err := engine.MatMul(qa, xa, false, true)
	switch metric {
	case "cosine":
		s, err = engine.Cosine(qa, xa)
	case "l2":
		s, err = engine.L2Distance(qa, xa)
	}
	must(err)
	if bits != nil {
		raw := make([]byte, 4*len(bits))
		for i, w := range bits {
			binary.LittleEndian.PutUint32(raw[4*i:], w)
		}
		ba, err := e.FromBytes(raw, engine.Int32, len(bits))
		must(err)
		s, err = engine.MaskRows(s, ba, metric != "l2")
		must(err)
	}
	vals, idx, err := engine.TopK(s, c.k, metric != "l2")
	must(err)
	p, err := e.Explain(vals, idx)
	must(err)
	if len(p.Steps) != 1 || p.Steps[0].Op != engine.OpScanTopK {
		t.Fatalf("not one fused scan:\n%s", p)
	}
	before := amxScans.Load()
	v, err := vals.Float32()
	must(err)
	if got := amxScans.Load() - before; got != map[bool]int64{true: 1, false: 0}[screened] {
		t.Fatalf("%d screened scans, want %t", got, screened)
	}
	i, err := idx.Int64()
	must(err)
	return v, i
}

// TestAMXKernels checks the screen's assembly kernels (the tile unit's,
// or AVX-512 BF16's) against their Go versions: amxDots within the
// screen's error bound of the exact products (the tile unit's roundings
// may differ from Go's order; VDPBF16PS's must not, on these normal
// values), amxHits exactly (the same scaling and comparisons).
func TestAMXKernels(t *testing.T) {
	setSIMD(true)
	if amxDots == nil {
		testenv.SkipBecause(t, "no tile unit (AMX-BF16) or AVX-512 BF16 on this machine")
	}
	goDots, bitwise := amxDotsGo, false
	if screenUnit == "avx512bf16" {
		goDots, bitwise = dpbf16DotsGo, true
	}
	t.Logf("screen kernels: %s", screenUnit)
	r := rand.New(rand.NewPCG(72, freshSeed(t)))
	// The split: bit for bit splitBF16's, on values at rounding ties (low
	// halves 0x8000, odd and even high halves), tiny, huge and random ones.
	x := make([]float32, 1000)
	for i := range x {
		b := r.Uint32()&^(0xff<<23) | uint32(1+r.IntN(253))<<23 // finite
		switch i % 4 {
		case 0:
			b = b&^0xffff | 0x8000
		case 1:
			b &^= 0x7f << 23 // tiny
		}
		x[i] = math.Float32frombits(b)
	}
	for _, n := range []int{1000, 992, 17, 15} {
		gh, gl, wh, wl := make([]uint16, n), make([]uint16, n), make([]uint16, n), make([]uint16, n)
		splitRow(gh, gl, x[:n])
		splitBF16Go(wh, wl, x[:n])
		for i := range n {
			if gh[i] != wh[i] || gl[i] != wl[i] {
				t.Fatalf("split of %v (%#x): %#x %#x, Go %#x %#x", x[i], math.Float32bits(x[i]), gh[i], gl[i], wh[i], wl[i])
			}
		}
	}
	// The split's sum of squares, on values whose squares stay finite: the
	// same parts, and the sum within float32's summation error of the
	// float64 one.
	y := make([]float32, 1000)
	normals(r, y)
	for _, n := range []int{1000, 992, 17, 15} {
		gh, gl, wh, wl := make([]uint16, n), make([]uint16, n), make([]uint16, n), make([]uint16, n)
		ss := splitRow(gh, gl, y[:n])
		splitBF16Go(wh, wl, y[:n])
		ref := 0.0
		for i, v := range y[:n] {
			if gh[i] != wh[i] || gl[i] != wl[i] {
				t.Fatalf("split with squares of %v: %#x %#x, Go %#x %#x", v, gh[i], gl[i], wh[i], wl[i])
			}
			ref += float64(v) * float64(v)
		}
		if math.Abs(float64(ss)-ref) > float64(n)*0x1p-24*ref {
			t.Fatalf("sum of squares of %d values: %v; float64 %v", n, ss, ref)
		}
	}
	for _, c := range []struct{ d, nqb int }{{32, 1}, {77, 3}, {768, 2}} {
		ks := (c.d + 31) / 32
		dp := ks * 32
		m := c.nqb * amxQueries
		q := make([]float32, m*c.d)
		x := make([]float32, amxRows*c.d)
		normals(r, q)
		normals(r, x)
		p := newBackend().packQueries(q, m, c.d)
		ah, al := make([]uint16, amxRows*dp), make([]uint16, amxRows*dp)
		for i := range amxRows {
			for e := range c.d {
				ah[i*dp+e], al[i*dp+e] = splitBF16(x[i*c.d+e])
			}
		}
		got := make([]float32, c.nqb*amxRows*amxQueries)
		want := make([]float32, len(got))
		for i := range got {
			got[i] = float32(math.NaN())
		}
		amxDots(amxConfig, ah, al, dp*2, p.hi, p.lo, ks, c.nqb, got)
		goDots(amxConfig, ah, al, dp*2, p.hi, p.lo, ks, c.nqb, want)
		for qb := range c.nqb {
			for row := range amxRows {
				for n := range amxQueries {
					qi := qb*amxQueries + n
					exact, mag := 0.0, 0.0
					for e := range c.d {
						exact += float64(q[qi*c.d+e]) * float64(x[row*c.d+e])
						mag += math.Abs(float64(q[qi*c.d+e]) * float64(x[row*c.d+e]))
					}
					at := (qb*amxRows+row)*amxQueries + n
					bound := screenErr(c.d) * mag
					if bitwise && math.Float32bits(got[at]) != math.Float32bits(want[at]) {
						t.Fatalf("d %d query %d row %d: VDPBF16PS %v, Go %v", c.d, qi, row, got[at], want[at])
					}
					if e := math.Abs(float64(got[at]) - exact); !(e <= bound) {
						t.Fatalf("d %d query %d row %d: %s %v, exact %v: error %.3g over the bound %.3g", c.d, qi, row, screenUnit, got[at], exact, e, bound)
					}
					if e := math.Abs(float64(want[at]) - exact); !(e <= bound) {
						t.Fatalf("d %d query %d row %d: Go %v, exact %v: error %.3g over the bound %.3g", c.d, qi, row, want[at], exact, e, bound)
					}
				}
			}
		}
		f, bias, g := make([]float32, amxRows), make([]float32, amxRows), make([]float32, amxRows)
		l, eq := make([]float32, c.nqb*amxQueries), make([]float32, c.nqb*amxQueries)
		for i := range f {
			f[i], g[i], bias[i] = float32(r.Float64()), float32(r.Float64()), float32(r.NormFloat64())
		}
		f[3] = float32(math.NaN())
		for i := range l {
			l[i], eq[i] = float32(r.NormFloat64()), float32(r.Float64())
		}
		l[5] = float32(math.Inf(1))
		l[6] = float32(math.Inf(-1))
		copy(want, got)
		mg, mw := make([]uint16, c.nqb*amxRows), make([]uint16, c.nqb*amxRows)
		hg, hw := amxHits(got, f, bias, g, l, eq, c.nqb, mg), amxHitsGo(want, f, bias, g, l, eq, c.nqb, mw)
		if hg != hw {
			t.Fatalf("d %d: amxHits counts %d rows with hits, Go %d", c.d, hg, hw)
		}
		for i := range mg {
			if mg[i] != mw[i] {
				t.Fatalf("d %d: mask %d is %#x, Go %#x", c.d, i, mg[i], mw[i])
			}
		}
		for i := range got {
			if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
				t.Fatalf("d %d: scaled value %d is %v, Go %v", c.d, i, got[i], want[i])
			}
		}
	}
}

// BenchmarkAMXDots is the screen's kernel (the tile unit's, or AVX-512
// BF16's) alone on 768-wide rows of random
// values: 32 rows against 256 queries a call, the operands in the L2
// cache as the screened scan keeps them. GFLOP/s counts 2·rows·queries·d, the float32 products
// the three bfloat16 ones stand for.
func BenchmarkAMXDots(b *testing.B) {
	setSIMD(true)
	if amxDots == nil {
		testenv.SkipBecause(b, "no tile unit (AMX-BF16) or AVX-512 BF16 on this machine")
	}
	const d, nqb = 768, amxQueryChunk / amxQueries
	ks := d / 32
	ah, al := make([]uint16, amxTileRows*d), make([]uint16, amxTileRows*d)
	bh, bl := make([]uint16, nqb*ks*512), make([]uint16, nqb*ks*512)
	c := make([]float32, nqb*amxRows*amxQueries)
	r := rand.New(rand.NewPCG(73, 73))
	for _, v := range [][]uint16{ah, al, bh, bl} {
		for i := range v {
			v[i] = roundBF16(float32(r.NormFloat64()))
		}
	}
	b.ResetTimer()
	for range b.N {
		for blk := 0; blk < amxTileRows; blk += amxRows {
			amxDots(amxConfig, ah[blk*d:], al[blk*d:], 2*d, bh, bl, ks, nqb, c)
		}
	}
	b.ReportMetric(float64(2*amxTileRows*nqb*amxQueries*d)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
}

// TestKthLargest checks kthLargest against a sort, largest first, at
// every rank of arrays of awkward lengths: distinct values, values from
// a few (long runs of ties), all equal, and infinities.
func TestKthLargest(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 8))
	for _, n := range []int{1, 2, 3, 16, 17, 31, 100, 257, 1001, 3000} {
		for kind := range 4 {
			v := make([]float32, n)
			for i := range v {
				switch kind {
				case 0:
					v[i] = float32(r.NormFloat64())
				case 1:
					v[i] = float32(r.IntN(5)) - 2
				case 2:
					v[i] = 0.25
				case 3:
					v[i] = [3]float32{float32(math.Inf(1)), float32(math.Inf(-1)), -1}[r.IntN(3)]
				}
			}
			want := slices.Clone(v)
			slices.SortFunc(want, func(a, b float32) int { return cmp.Compare(b, a) })
			ranks := []int{0, n - 1, n / 2, r.IntN(n)}
			if n <= 257 {
				ranks = nil
				for k := range n {
					ranks = append(ranks, k)
				}
			}
			for _, k := range ranks {
				w := slices.Clone(v)
				if got := kthLargest(w, k); got != want[k] {
					t.Fatalf("length %d, kind %d: rank %d is %v, want %v", n, kind, k, got, want[k])
				}
				slices.Sort(w)
				c := slices.Clone(v)
				slices.Sort(c)
				if !slices.Equal(w, c) {
					t.Fatalf("length %d, kind %d, rank %d: the values changed, not only their order", n, kind, k)
				}
			}
		}
	}
}

// TestAMXCostRule pins where the screened scan's cost rule (amxUsable,
// amxCandidateCost) changes sides, at the sizes it was measured at on
// two workers: over 10,000 rows of 768, k = 1000 and 2000 are screened
// and k = 4096 is not; over 30,000 and 50,000 rows k = 4096 is screened.
func TestAMXCostRule(t *testing.T) {
	dots := amxDots
	defer func() { amxDots = dots }()
	if amxDots == nil {
		amxDots = amxDotsGo // the rule, not the kernel, is under test
	}
	for _, c := range []struct {
		n, k int
		want bool
	}{
		{10000, 100, true}, {10000, 1000, true}, {10000, 2000, true}, {10000, 4096, false},
		{30000, 4096, true}, {50000, 4096, true}, {1000, 1000, false},
	} {
		j := scanJob{a: engine.Attrs{K: c.k, Largest: true, Metric: engine.MetricDot}, m: amxMinQueries, d: 768}
		j.Q = make([]float32, j.m*j.d)
		for i := range j.Q {
			j.Q[i] = 0.03
		}
		if got := j.amxUsable(c.n, 2); got != c.want {
			t.Errorf("%d rows, k = %d, 2 workers: screened %t, want %t", c.n, c.k, got, c.want)
		}
	}
}
