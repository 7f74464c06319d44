package cpu

// Benchmarks of the CPU backend against peers measured in the same run:
// each benchmark times every variant once per iteration, interleaved, and
// reports each one's throughput and the ratio of the backend's to each
// peer's. Run them with
//
//	go test -run '^$' -bench . ./cpu
//
// Units: GB/s counts the bytes a variant must move (read plus written)
// once; GFLOP/s counts 2mnk for a matmul. "x_<peer>" is the backend's
// throughput divided by the peer's (above 1: the backend is faster).
// "of_copy" is the backend's GB/s divided by the GB/s of a plain copy of
// a buffer of the same size (read and write counted), the machine's
// practical memory bandwidth for work that writes; "of_read" is the ratio
// to an XOR sweep reading the same number of bytes on every core, the
// ceiling for work that only reads (a scan, a sum).

import (
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"slices"
	"sync"
	"testing"
	"time"
	"unsafe"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas32"

	"github.com/silica-go/silica/engine"
)

// variant is one contender of a benchmark: bytes (or flops) it moves per
// run, and the run itself.
type variant struct {
	name string
	work float64
	run  func()
}

// compare times every variant once per iteration (after one warm-up run
// each), interleaved so that all see the same machine, then reports the
// first variant's rate under unit from its median time and, for every
// other variant, the first's ratio to it (medians, robust to the other
// work on a shared machine).
func compare(b *testing.B, unit string, vs ...variant) {
	b.Helper()
	for _, v := range vs {
		v.run()
	}
	times := make([][]time.Duration, len(vs))
	b.ResetTimer()
	for range b.N {
		for i, v := range vs {
			t := time.Now()
			v.run()
			times[i] = append(times[i], time.Since(t))
		}
	}
	b.StopTimer()
	rate := make([]float64, len(vs))
	med := make([]time.Duration, len(vs))
	for i, v := range vs {
		slices.Sort(times[i])
		med[i] = times[i][len(times[i])/2]
		rate[i] = v.work / med[i].Seconds() / 1e9
	}
	ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1e3 }
	b.ReportMetric(rate[0], unit)
	b.ReportMetric(ms(med[0]), "ms")
	line := fmt.Sprintf("medians of %d: %s %.2f %s (%.2f ms)", b.N, vs[0].name, rate[0], unit, ms(med[0]))
	for i, v := range vs[1:] {
		r := rate[0] / rate[i+1]
		switch v.name {
		case "copy", "read":
			b.ReportMetric(r, "of_"+v.name)
		default:
			b.ReportMetric(r, "x_"+v.name)
		}
		line += fmt.Sprintf("; %s %.2f %s (%.2f ms), ratio %.2f", v.name, rate[i+1], unit, ms(med[i+1]), r)
	}
	b.Log(line)
}

// copyVariant copies a buffer of bytes/2 bytes into another with Go's copy
// on every core: the memory bandwidth ceiling, counting read and write.
func copyVariant(bytes int) variant {
	src := make([]byte, bytes/2)
	dst := make([]byte, bytes/2)
	for i := range src {
		src[i] = byte(i * 7)
	}
	w := runtime.GOMAXPROCS(0)
	return variant{"copy", float64(2 * len(src)), func() {
		var wg sync.WaitGroup
		for p := range w {
			lo, hi := p*len(src)/w, (p+1)*len(src)/w
			wg.Go(func() { copy(dst[lo:hi], src[lo:hi]) })
		}
		wg.Wait()
	}}
}

// readVariant reads bytes bytes on every core (an XOR of 64-bit words,
// four chains): the ceiling of a scan, which only reads.
func readVariant(bytes int) variant {
	words := make([]uint64, bytes/8)
	for i := range words {
		words[i] = uint64(i) * 0x9e3779b97f4a7c15
	}
	w := runtime.GOMAXPROCS(0)
	sums := make([]uint64, w)
	return variant{"read", float64(8 * len(words)), func() {
		var wg sync.WaitGroup
		for p := range w {
			s := words[p*len(words)/w : (p+1)*len(words)/w]
			wg.Go(func() {
				var a, b, c, d uint64
				for i := 0; i+4 <= len(s); i += 4 {
					a ^= s[i]
					b ^= s[i+1]
					c ^= s[i+2]
					d ^= s[i+3]
				}
				sums[p] = a ^ b ^ c ^ d
			})
		}
		wg.Wait()
	}}
}

func randomFloats(seed uint64, n int) []float32 {
	r := rand.New(rand.NewPCG(seed, 99))
	x := make([]float32, n)
	for i := range x {
		x[i] = float32(r.NormFloat64())
	}
	return x
}

// Scan sizes: the one query over 100K x 768 (307 MB of float32,
// far beyond any cache: a memory bandwidth test).
const (
	scanN = 100_000
	scanD = 768
	scanK = 100
)

var scanData = sync.OnceValues(func() (q, x []float32) {
	return randomFloats(1, scanD), randomFloats(2, scanN*scanD)
})

func bytesOf(x []float32) []byte {
	return unsafe.Slice((*byte)(unsafe.Pointer(&x[0])), 4*len(x))
}

// scanVariant is the backend's fused scan (MatMul(q, xᵀ) then TopK, which
// the engine fuses into one OpScanTopK) over stored rows of dtype dt.
func scanVariant(b *testing.B, name string, q []float32, x []float32, dt engine.DType, cosine bool) variant {
	e := engine.New("cpu", newBackend())
	qa, err := e.FromFloat32As(q, dt, 1, scanD)
	if err != nil {
		b.Fatal(err)
	}
	xa, err := e.FromFloat32As(x, dt, scanN, scanD)
	if err != nil {
		b.Fatal(err)
	}
	return variant{name, float64(scanN * scanD * dt.Size()), func() {
		var s *engine.Array
		var err error
		if cosine {
			s, err = engine.Cosine(qa, xa)
		} else {
			s, err = engine.MatMul(qa, xa, false, true)
		}
		if err != nil {
			b.Fatal(err)
		}
		v, i, err := engine.TopK(s, scanK, true)
		if err != nil {
			b.Fatal(err)
		}
		if err := e.Eval(v, i); err != nil {
			b.Fatal(err)
		}
	}}
}

// checkScan checks, before anything is timed, that the fused scan finds
// the row a plain loop scores highest.
func checkScan(b *testing.B, q, x []float32) {
	e := engine.New("cpu", newBackend())
	qa, _ := e.FromFloat32(q, 1, scanD)
	xa, err := e.FromBytesNoCopy(bytesOf(x), engine.Float32, scanN, scanD)
	if err != nil {
		b.Fatal(err)
	}
	s, _ := engine.MatMul(qa, xa, false, true)
	_, idx, _ := engine.TopK(s, 1, true)
	got, err := idx.Int64()
	if err != nil {
		b.Fatal(err)
	}
	best, bestScore := 0, float32(math.Inf(-1))
	for r := range scanN {
		if v := dot4(q, x[r*scanD:(r+1)*scanD]); v > bestScore {
			best, bestScore = r, v
		}
	}
	if got[0] != int64(best) {
		b.Fatalf("the scan's best row is %d, a plain loop's %d", got[0], best)
	}
}

// dot4 is the plain Go dot product a user would write: four accumulators.
func dot4(a, b []float32) float32 {
	b = b[:len(a)]
	var s0, s1, s2, s3 float32
	i := 0
	for ; i+4 <= len(a); i += 4 {
		s0 += a[i] * b[i]
		s1 += a[i+1] * b[i+1]
		s2 += a[i+2] * b[i+2]
		s3 += a[i+3] * b[i+3]
	}
	for ; i < len(a); i++ {
		s0 += a[i] * b[i]
	}
	return (s0 + s1) + (s2 + s3)
}

// goLoopVariant scores every row with dot4 on workers goroutines.
func goLoopVariant(name string, q, x []float32, workers int) variant {
	n := len(x) / len(q)
	scores := make([]float32, n)
	d := len(q)
	return variant{name, float64(4 * len(x)), func() {
		var wg sync.WaitGroup
		for p := range workers {
			lo, hi := p*n/workers, (p+1)*n/workers
			wg.Go(func() {
				for r := lo; r < hi; r++ {
					scores[r] = dot4(q, x[r*d:(r+1)*d])
				}
			})
		}
		wg.Wait()
	}}
}

// gonumVariant scores every row with gonum's Sgemv (y = X q).
func gonumVariant(q, x []float32) variant {
	n := len(x) / len(q)
	y := make([]float32, n)
	X := blas32.General{Rows: n, Cols: len(q), Stride: len(q), Data: x}
	return variant{"gonum", float64(4 * len(x)), func() {
		blas32.Gemv(blas.NoTrans, 1, X, blas32.Vector{N: len(q), Inc: 1, Data: q}, 0,
			blas32.Vector{N: n, Inc: 1, Data: y})
	}}
}

// BenchmarkScan is the measure: one query, top-100 by dot product
// over 100K x 768 float32, against a plain Go loop on one goroutine and on
// every core, gonum's Sgemv and a copy of the same number of bytes.
func BenchmarkScan(b *testing.B) {
	q, x := scanData()
	w := runtime.GOMAXPROCS(0)
	scan := scanVariant(b, "scan", q, x, engine.Float32, false)
	checkScan(b, q, x)
	compare(b, "GB/s",
		scan,
		goLoopVariant("goloop1", q, x, 1),
		goLoopVariant(fmt.Sprintf("goloop%d", w), q, x, w),
		gonumVariant(q, x),
		readVariant(4*len(x)),
		copyVariant(4*len(x)),
	)
}

// BenchmarkScanStored measures the scan over other stored forms: cosine
// over float32 (the rows normalized on the fly), float16 and bfloat16
// (half the bytes). GB/s counts the bytes stored.
func BenchmarkScanStored(b *testing.B) {
	q, x := scanData()
	for _, c := range []struct {
		name   string
		dt     engine.DType
		cosine bool
	}{
		{"cosine_f32", engine.Float32, true},
		{"dot_f16", engine.Float16, false},
		{"cosine_f16", engine.Float16, true},
		{"dot_bf16", engine.BFloat16, false},
	} {
		b.Run(c.name, func(b *testing.B) {
			v := scanVariant(b, c.name, q, x, c.dt, c.cosine)
			compare(b, "GB/s", v, readVariant(int(v.work)), copyVariant(int(v.work)))
		})
	}
}

// BenchmarkScanInt8 measures the scan over int8 rows with per-row scales
// (the store's quantized form), cosine, a quarter of the float32 bytes.
func BenchmarkScanInt8(b *testing.B) {
	q, x := scanData()
	e := engine.New("cpu", newBackend())
	qa, err := e.FromFloat32(q, 1, scanD)
	if err != nil {
		b.Fatal(err)
	}
	xa, err := e.FromFloat32(x, scanN, scanD)
	if err != nil {
		b.Fatal(err)
	}
	qx, scales, err := engine.Quantize(xa)
	if err != nil {
		b.Fatal(err)
	}
	if err := e.Eval(qx, scales); err != nil {
		b.Fatal(err)
	}
	xa.Free()
	v := variant{"cosine_i8", float64(scanN * (scanD + 4)), func() {
		dq, err := engine.Dequantize(qx, scales)
		if err != nil {
			b.Fatal(err)
		}
		s, err := engine.Cosine(qa, dq)
		if err != nil {
			b.Fatal(err)
		}
		vals, idx, err := engine.TopK(s, scanK, true)
		if err != nil {
			b.Fatal(err)
		}
		if err := e.Eval(vals, idx); err != nil {
			b.Fatal(err)
		}
	}}
	compare(b, "GB/s", v, readVariant(int(v.work)), copyVariant(int(v.work)))
}

// BenchmarkScanBatch is 64 queries at once (top-10 by cosine each) over
// 100K x 768 float32: a compute-bound scan (each row read once, scored
// against every query from the L1 cache), against gonum's Sgemm computing
// the full [64, 100K] score matrix, which the fused scan never writes.
// GFLOP/s counts 2 m n d.
func BenchmarkScanBatch(b *testing.B) {
	const m = 64
	_, x := scanData()
	q := randomFloats(30, m*scanD)
	e := engine.New("cpu", newBackend())
	qa, err := e.FromFloat32(q, m, scanD)
	if err != nil {
		b.Fatal(err)
	}
	xa, err := e.FromBytesNoCopy(bytesOf(x), engine.Float32, scanN, scanD)
	if err != nil {
		b.Fatal(err)
	}
	flops := float64(2 * m * scanN * scanD)
	ours := variant{"scan64", flops, func() {
		s, err := engine.Cosine(qa, xa)
		if err != nil {
			b.Fatal(err)
		}
		v, i, err := engine.TopK(s, 10, true)
		if err != nil {
			b.Fatal(err)
		}
		if err := e.Eval(v, i); err != nil {
			b.Fatal(err)
		}
	}}
	out := make([]float32, m*scanN)
	gn := variant{"gonum", flops, func() {
		blas32.Gemm(blas.NoTrans, blas.Trans, 1,
			blas32.General{Rows: m, Cols: scanD, Stride: scanD, Data: q},
			blas32.General{Rows: scanN, Cols: scanD, Stride: scanD, Data: x}, 0,
			blas32.General{Rows: m, Cols: scanN, Stride: scanN, Data: out})
	}}
	compare(b, "GFLOP/s", ours, gn)
}

// BenchmarkScanBatch1024 is 1024 queries at once (top-100 each) over 10K x
// 768 float32, by cosine and by L2: the scan as faiss-cpu's IndexFlatIP
// and IndexFlatL2 see it with a large batch (cmd/cpupeers times those).
// On a processor with AVX-512 the AVX2 kernel set runs beside it
// ("x_avx2"); elsewhere the variants are the same code. GFLOP/s counts
// 2 m n d.
func BenchmarkScanBatch1024(b *testing.B) {
	const m, n, k = 1024, 10_000, 100
	q, x := randomFloats(32, m*scanD), randomFloats(33, n*scanD)
	e := engine.New("cpu", newBackend())
	qa, err := e.FromFloat32(q, m, scanD)
	if err != nil {
		b.Fatal(err)
	}
	xa, err := e.FromFloat32(x, n, scanD)
	if err != nil {
		b.Fatal(err)
	}
	defer func() { useAVX512, useAMX = true, true; setSIMD(true) }()
	for _, metric := range []string{"cosine", "l2"} {
		b.Run(metric, func(b *testing.B) {
			scan := func(wide, tiles bool) func() {
				return func() {
					useAVX512, useAMX = wide, tiles
					setSIMD(true)
					s, err := engine.Cosine(qa, xa)
					if metric == "l2" {
						s, err = engine.L2Distance(qa, xa)
					}
					if err != nil {
						b.Fatal(err)
					}
					v, i, err := engine.TopK(s, k, metric != "l2")
					if err != nil {
						b.Fatal(err)
					}
					if err := e.Eval(v, i); err != nil {
						b.Fatal(err)
					}
				}
			}
			flops := float64(2 * m * n * scanD)
			compare(b, "GFLOP/s", variant{"scan1024", flops, scan(true, true)},
				variant{"avx512", flops, scan(true, false)}, variant{"avx2", flops, scan(false, false)})
		})
	}
}

// BenchmarkMatMul is the seed's 1024 x 1024 x 1024 float32 product against
// gonum's Sgemm (which also uses every core).
func BenchmarkMatMul(b *testing.B) {
	const n = 1024
	a, bb := randomFloats(3, n*n), randomFloats(4, n*n)
	e := engine.New("cpu", newBackend())
	A, err := e.FromFloat32(a, n, n)
	if err != nil {
		b.Fatal(err)
	}
	B, err := e.FromFloat32(bb, n, n)
	if err != nil {
		b.Fatal(err)
	}
	ours := variant{"matmul", 2 * n * n * n, func() {
		c, err := engine.MatMul(A, B, false, false)
		if err != nil {
			b.Fatal(err)
		}
		if err := e.Eval(c); err != nil {
			b.Fatal(err)
		}
		c.Free()
	}}
	c := make([]float32, n*n)
	gn := variant{"gonum", 2 * n * n * n, func() {
		blas32.Gemm(blas.NoTrans, blas.NoTrans, 1,
			blas32.General{Rows: n, Cols: n, Stride: n, Data: a},
			blas32.General{Rows: n, Cols: n, Stride: n, Data: bb}, 0,
			blas32.General{Rows: n, Cols: n, Stride: n, Data: c})
	}}
	compare(b, "GFLOP/s", ours, gn)
}

// BenchmarkGemmDot is the product of a few rows by a transposed B (x·Wᵀ,
// MiniLM's linear layers) by gemmDot's dot products against the packed
// blocked product, for the row counts around gemmDotRows.
func BenchmarkGemmDot(b *testing.B) {
	c := newBackend()
	for _, m := range []int{16, 64, 128, 192} {
		for _, nk := range [][2]int{{384, 384}, {1536, 384}, {384, 1536}} {
			n, k := nk[0], nk[1]
			a, w, out := randomFloats(5, m*k), randomFloats(6, n*k), make([]float32, m*n)
			am, wm := matrix{data: a, rs: k, cs: 1}, matrix{data: w, rs: 1, cs: k} // packed's view
			b.Run(fmt.Sprintf("m=%d/n=%d/k=%d", m, n, k), func(b *testing.B) {
				flops := float64(2 * m * n * k)
				compare(b, "GFLOP/s",
					variant{"dot", flops, func() { c.gemmDots(m, n, k, a, w, out, nil) }},
					variant{"packed", flops, func() { c.gemmPacked(m, n, k, am, wm, nil, out, nil) }})
			})
		}
	}
}

// BenchmarkElementwise is a*b+c over 10M float32 (three reads, one write).
func BenchmarkElementwise(b *testing.B) {
	const n = 10_000_000
	e := engine.New("cpu", newBackend())
	var in [3]*engine.Array
	var raw [3][]float32
	for i := range in {
		raw[i] = randomFloats(uint64(10+i), n)
		var err error
		if in[i], err = e.FromFloat32(raw[i], n); err != nil {
			b.Fatal(err)
		}
	}
	ours := variant{"fma", 16 * n, func() {
		y, err := engine.FMA(in[0], in[1], in[2])
		if err != nil {
			b.Fatal(err)
		}
		if err := e.Eval(y); err != nil {
			b.Fatal(err)
		}
		y.Free()
	}}
	out := make([]float32, n)
	w := runtime.GOMAXPROCS(0)
	loop := variant{fmt.Sprintf("goloop%d", w), 16 * n, func() {
		var wg sync.WaitGroup
		for p := range w {
			lo, hi := p*n/w, (p+1)*n/w
			wg.Go(func() {
				a, bb, c, y := raw[0][lo:hi], raw[1][lo:hi], raw[2][lo:hi], out[lo:hi]
				for i := range y {
					y[i] = a[i]*bb[i] + c[i]
				}
			})
		}
		wg.Wait()
	}}
	compare(b, "GB/s", ours, loop, copyVariant(16*n))
}

// rowsFixture is 100K x 384 float32, the seed's normalization size.
func rowsFixture(b *testing.B) (*engine.Engine, *engine.Array, []float32) {
	const n, d = 100_000, 384
	x := randomFloats(20, n*d)
	e := engine.New("cpu", newBackend())
	xa, err := e.FromFloat32(x, n, d)
	if err != nil {
		b.Fatal(err)
	}
	return e, xa, x
}

// BenchmarkNormalize is L2 normalization of 100K x 384 float32 rows.
func BenchmarkNormalize(b *testing.B) {
	e, xa, x := rowsFixture(b)
	ours := variant{"normalize", float64(8 * len(x)), func() {
		y, err := engine.Normalize(xa)
		if err != nil {
			b.Fatal(err)
		}
		if err := e.Eval(y); err != nil {
			b.Fatal(err)
		}
		y.Free()
	}}
	compare(b, "GB/s", ours, copyVariant(8*len(x)))
}

// BenchmarkSumRows is a sum along the last axis of 100K x 384 float32.
func BenchmarkSumRows(b *testing.B) {
	e, xa, x := rowsFixture(b)
	ours := variant{"sum", float64(4 * len(x)), func() {
		y, err := engine.Sum(xa, 1)
		if err != nil {
			b.Fatal(err)
		}
		if err := e.Eval(y); err != nil {
			b.Fatal(err)
		}
		y.Free()
	}}
	compare(b, "GB/s", ours, readVariant(4*len(x)))
}

// BenchmarkGather gathers 50K random rows of 100K x 384 float32.
func BenchmarkGather(b *testing.B) {
	e, xa, _ := rowsFixture(b)
	const r, d = 50_000, 384
	idx := make([]int64, r)
	rng := rand.New(rand.NewPCG(21, 0))
	for i := range idx {
		idx[i] = rng.Int64N(100_000)
	}
	ia, err := e.FromInt64(idx, r)
	if err != nil {
		b.Fatal(err)
	}
	ours := variant{"gather", 2 * 4 * r * d, func() {
		y, err := engine.Gather(xa, ia)
		if err != nil {
			b.Fatal(err)
		}
		if err := e.Eval(y); err != nil {
			b.Fatal(err)
		}
		y.Free()
	}}
	compare(b, "GB/s", ours, copyVariant(2*4*r*d))
}
