package cuda

import (
	"encoding/binary"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/silica-go/silica/engine"
	"github.com/silica-go/silica/engine/backendtest"
	"github.com/silica-go/silica/internal/testenv"
)

// TestSegmentEmulated runs reduce.cu's segment_reduce in the CPU
// emulator for float32 and bfloat16 inputs, sums and maxima: one row,
// a segment far longer than the others (more rows than a block has
// warps, its columns not a multiple of 32), many segments of one row,
// one block looping over every task and more blocks than tasks, NaN and
// infinities among the inputs, against backendtest.SegmentRef (a sum
// within its SumTol tolerance, a maximum exact). The default run takes a
// float32 sum and a float32 maximum and one more case drawn at random;
// the exhaustive one (CI's sweep step) all.
func TestSegmentEmulated(t *testing.T) {
	t.Parallel() // CPU-bound: beside the others, not after them
	ones := make([]int, 150)
	for i := range ones {
		ones[i] = 1
	}
	cases := []struct {
		op      engine.Op
		dt      engine.DType
		h       int
		lengths []int
		blocks  int
	}{
		{engine.OpSegmentSum, engine.Float32, 383, []int{3, 200, 1, 2}, 1},
		{engine.OpSegmentMax, engine.Float32, 33, []int{5, 9, 1}, 7},
		{engine.OpSegmentSum, engine.BFloat16, 7, ones, 5},
		{engine.OpSegmentMax, engine.BFloat16, 384, []int{1, 40, 17}, 3},
		{engine.OpSegmentSum, engine.Float32, 4, []int{1}, 2},
		{engine.OpSegmentMax, engine.Float32, 64, ones, 1},
	}
	for _, i := range testenv.Sample(t, len(cases), []int{0, 1}, 1) {
		c := cases[i]
		rng := rand.New(rand.NewPCG(8, 31+uint64(i))) // a case's data whatever the others drawn
		var in []byte
		for _, v := range []int64{int64(c.h), int64(len(c.lengths)), int64(c.blocks)} {
			in = binary.LittleEndian.AppendUint64(in, uint64(v))
		}
		n := 0
		in = binary.LittleEndian.AppendUint32(in, 0)
		for _, l := range c.lengths {
			n += l
			in = binary.LittleEndian.AppendUint32(in, uint32(n))
		}
		special := map[int]float32{rng.IntN(n * c.h): float32(math.NaN()), rng.IntN(n * c.h): float32(math.Inf(1)),
			rng.IntN(n * c.h): float32(math.Inf(-1))}
		x := make([]float64, n*c.h) // as stored
		for j := range x {
			f, ok := special[j]
			if !ok {
				f = float32(rng.NormFloat64())
			}
			in, f = appendStored(in, c.dt, f)
			x[j] = float64(f)
		}
		v := segmentVariant(c.op, c.dt)
		out := runEmu(t, buildEmuMain(t, v, "segment_main.cpp"), in, 4*len(c.lengths)*c.h)
		want, tol := backendtest.SegmentRef(c.op, x, c.h, c.lengths)
		for j, w := range want {
			g := float64(math.Float32frombits(binary.LittleEndian.Uint32(out[4*j:])))
			if g == w || math.IsNaN(g) && math.IsNaN(w) {
				continue
			}
			if d := math.Abs(g - w); !(d <= tol[j]) {
				t.Errorf("%s h=%d lengths %v blocks %d: element %d (segment %d) is %g, want %g within %.3g",
					v, c.h, c.lengths, c.blocks, j, j/c.h, g, w, tol[j])
				break
			}
		}
	}
}
