package cuda

import (
	"encoding/binary"
	"github.com/silica-go/silica/internal/testenv"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/silica-go/silica/engine"
)

// TestRowScanEmulated runs scan.cu's rowscan in the CPU emulator, in both
// modes, for float32 and bfloat16 rows (float32 queries), vectorised
// (one and six 16-byte vectors a lane, one or two rows loaded at once)
// and scalar row lengths, one query and a group of five, dot (with and
// without normB) and squared L2: MODE 0's scores against float64
// (relative 1e-5 of the scale of the terms), and MODE 1's candidates,
// merged over the blocks, against the best kk keys of MODE 0's own scores
// (the same arithmetic, so the same keys, bit for bit); and MODE 1's
// masked variant (MASK=1) with a random row bitmap keeping about a third
// of the rows (bits past n set), against the keys of those scores with
// the failing rows scored -Inf or +Inf, as engine.OpMaskRows says.
func TestRowScanEmulated(t *testing.T) {
	t.Parallel() // CPU-bound and long: beside the others, not after them
	rng := rand.New(rand.NewPCG(3, 19))
	cases := []struct {
		xt          engine.DType
		m, n, d, kk int
		ru          int // 0: the default
		metric      engine.Metric
		normB       bool
	}{
		{engine.Float32, 1, 1500, 768, 37, 0, engine.MetricDot, false},
		{engine.Float32, 1, 1300, 100, 20, 2, engine.MetricDot, true},
		{engine.Float32, 5, 999, 65, 16, 0, engine.MetricL2, false},
		{engine.BFloat16, 1, 1400, 96, 30, 0, engine.MetricDot, true},
		{engine.BFloat16, 5, 700, 768, 9, 0, engine.MetricL2, false},
		{engine.BFloat16, 1, 800, 40, 12, 0, engine.MetricDot, false},
	}
	// Each case builds two emulators and runs for seconds: the default
	// run takes one case drawn at random (the seed logged); the exhaustive
	// run (SILICA_EXHAUSTIVE=1, CI's sweep step) all of them.
	for _, i := range testenv.Sample(t, len(cases), nil, 1) {
		c := cases[i]
		mq := rowKernelMaxM
		if c.m == 1 {
			mq = 1
		}
		q := make([]float32, c.m*c.d)
		for i := range q {
			q[i] = float32(rng.NormFloat64())
		}
		xv := make([]float32, c.n*c.d) // the stored values, rounded to the type
		var xb []byte
		for i := range xv {
			xb, xv[i] = appendStored(xb, c.xt, float32(rng.NormFloat64()))
		}
		nb, C := 3, max(64, pow2AtLeast(2*c.kk))
		in := func() []byte {
			var b []byte
			for _, h := range []int64{int64(c.m), int64(c.n), int64(c.d), int64(nb), int64(c.kk), int64(C), b2i(c.metric == engine.MetricDot), b2i(c.normB)} {
				b = binary.LittleEndian.AppendUint64(b, uint64(h))
			}
			for _, v := range q {
				b = binary.LittleEndian.AppendUint32(b, math.Float32bits(v))
			}
			return append(b, xb...)
		}()
		v0 := rowVariantTuned(engine.Float32, c.xt, mq, c.d, 0, c.metric, c.ru, 0)
		v1 := rowVariantTuned(engine.Float32, c.xt, mq, c.d, 1, c.metric, c.ru, 0)
		out0 := runEmu(t, buildEmuMain(t, v0, "rowscan_main.cpp"), in, c.m*c.n*4)
		out1 := runEmu(t, buildEmuMain(t, v1, "rowscan_main.cpp"), in, c.m*nb*c.kk*8)
		words := make([]uint32, (c.n+31)/32)
		for r := range c.n {
			if rng.IntN(3) == 0 {
				words[r/32] |= 1 << (r % 32)
			}
		}
		if c.n%32 != 0 {
			words[len(words)-1] |= ^uint32(0) << (c.n % 32) // bits past n, which the kernel must ignore
		}
		inMask := slices.Clone(in)
		for _, w := range words {
			inMask = binary.LittleEndian.AppendUint32(inMask, w)
		}
		outM := runEmu(t, buildEmuMain(t, v1.masked(), "rowscan_main.cpp"), inMask, c.m*nb*c.kk*8)
		bad := float32(math.Inf(1))
		if c.metric == engine.MetricDot {
			bad = float32(math.Inf(-1))
		}
		for i := range c.m {
			keys, maskedKeys := make([]uint64, c.n), make([]uint64, c.n)
			for r := range c.n {
				got := math.Float32frombits(binary.LittleEndian.Uint32(out0[4*(i*c.n+r):]))
				var want, scale, xn float64
				for j := range c.d {
					a, b := float64(q[i*c.d+j]), float64(xv[r*c.d+j])
					xn += b * b
					if c.metric == engine.MetricL2 {
						want += (a - b) * (a - b)
						scale += a*a + b*b
					} else {
						want += a * b
						scale += math.Abs(a * b)
					}
				}
				if c.normB && c.metric == engine.MetricDot {
					xn = max(math.Sqrt(xn), 1e-12)
					want, scale = want/xn, scale/xn
				}
				if math.Abs(float64(got)-want) > 1e-5*scale+1e-30 {
					t.Fatalf("%s: query %d row %d: score %v, float64 %v", v0, i, r, got, want)
				}
				keys[r] = hostKey(got, c.metric == engine.MetricDot, r)
				if words[r/32]>>(r%32)&1 == 0 {
					maskedKeys[r] = hostKey(bad, c.metric == engine.MetricDot, r)
				} else {
					maskedKeys[r] = keys[r]
				}
			}
			checkCandidates(t, v1.String(), out1, i, nb, c.kk, keys)
			checkCandidates(t, v1.masked().String(), outM, i, nb, c.kk, maskedKeys)
		}
	}
}

// checkCandidates fails unless query i's candidates of rowscan's MODE 1
// (out: [m][nb][kk] keys) are the kk best of keys (sorted here).
func checkCandidates(t *testing.T, what string, out []byte, i, nb, kk int, keys []uint64) {
	t.Helper()
	slices.Sort(keys)
	var cand []uint64
	for u := range nb * kk {
		cand = append(cand, binary.LittleEndian.Uint64(out[8*(i*nb*kk+u):]))
	}
	slices.Sort(cand)
	for j := range kk {
		if cand[j] != keys[j] {
			t.Fatalf("%s: query %d rank %d: key %#x, from the scores %#x", what, i, j, cand[j], keys[j])
		}
	}
}

// hostKey is prelude.cuh's make_key on the host: the rank of score v
// (largest or smallest first, NaN last) above index r.
func hostKey(v float32, largest bool, r int) uint64 {
	var k uint32
	switch {
	case v != v:
		k = 0xffffffff
	default:
		if v == 0 {
			v = 0
		}
		b := math.Float32bits(v)
		if b&0x80000000 != 0 {
			k = ^b
		} else {
			k = b | 0x80000000
		}
		if largest {
			k = ^k
		}
	}
	return uint64(k)<<32 | uint64(uint32(r))
}
