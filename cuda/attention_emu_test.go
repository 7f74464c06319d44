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

// TestAttentionEmulated runs attention.cu's attention_rows in the CPU
// emulator for float32 and bfloat16 inputs: sequences of 1 row and of
// more rows than a block has warps, heads of 24, 64 and MaxHeadDim
// columns, one block (each warp loops over many pairs) and more blocks
// than pairs, MiniLM's 6 heads of 64 in the exhaustive run only, scores of several hundred (the online softmax's maximum),
// against backendtest.AttentionRef within backendtest.TolFloat32. The
// tiles cases run attention_tiles (heads of 32 and 64 columns): a head
// count that leaves a block's last head group part empty, sequences of 1
// row, of more rows than a block takes (tileRows) and of more keys than
// a shared-memory tile holds, and scores large enough that the maximum
// grows mid-sequence.
func TestAttentionEmulated(t *testing.T) {
	t.Parallel() // CPU-bound: beside the others, not after them
	type attnCase struct {
		dt       engine.DType
		h, heads int
		lengths  []int
		blocks   int
		std      float64
		scale    float32
		tiles    bool // attention_tiles (blocks is then the tasks')
	}
	cases := []attnCase{
		{engine.Float32, 128, 2, []int{1, 40, 3, 70}, 1, 1, 0.125, false},
		{engine.BFloat16, 48, 2, []int{9, 1, 30}, 13, 1, 0.2, false},
		{engine.Float32, 2 * engine.MaxHeadDim, 2, []int{5, 11}, 2, 0.5, 0.0625, false},
		{engine.Float32, 32, 2, []int{12, 20}, 1, 6, 2.5, false},
		{engine.Float32, 160, 5, []int{1, 70, 33}, 0, 3, 0.5, true},
		{engine.BFloat16, 128, 2, []int{17, 1, 66}, 0, 1, 0.125, true},
	}
	if testenv.Exhaustive() { // MiniLM's layout, 6 heads of 64: 32 s alone here, so only in the sweep step
		cases = append(cases, attnCase{engine.Float32, 384, 6, []int{1, 40, 3, 70}, 1, 1, 0.125, false})
	}
	// The default run takes a float32 case of each kernel; the exhaustive
	// one (CI's sweep step, which runs on every CI run) all.
	for _, i := range testenv.Sample(t, len(cases), []int{0, 4}, 0) {
		c := cases[i]
		rng := rand.New(rand.NewPCG(4, 21+uint64(i))) // a case's data whatever the others drawn
		meta := attentionMeta(c.lengths, c.tiles)
		n := int(meta[len(c.lengths)])
		if c.tiles {
			c.blocks = (len(meta) - len(c.lengths) - 1) / 2
		}
		var in []byte
		for _, x := range []int64{int64(n), int64(c.h), int64(c.heads), int64(len(c.lengths)), int64(c.blocks)} {
			in = binary.LittleEndian.AppendUint64(in, uint64(x))
		}
		in = binary.LittleEndian.AppendUint32(in, math.Float32bits(c.scale))
		for _, s := range meta {
			in = binary.LittleEndian.AppendUint32(in, uint32(s))
		}
		vals := make([][]float64, 3) // q, k, v as stored
		for i := range vals {
			std := c.std
			if i == 2 {
				std = 1
			}
			for range n * c.h {
				var f float32
				in, f = appendStored(in, c.dt, float32(std*rng.NormFloat64()))
				vals[i] = append(vals[i], float64(f))
			}
		}
		v := attentionVariant(c.dt)
		if c.tiles {
			v = attentionTileVariant(c.dt, c.h/c.heads)
		}
		out := runEmu(t, buildEmuMain(t, v, "attention_main.cpp"), in, 4*n*c.h)
		want := backendtest.AttentionRef(vals[0], vals[1], vals[2], c.h, c.heads, float64(c.scale), c.lengths)
		var num, den float64
		for i, w := range want {
			g := float64(math.Float32frombits(binary.LittleEndian.Uint32(out[4*i:])))
			num += (g - w) * (g - w)
			den += w * w
		}
		if e := math.Sqrt(num / den); !(e <= backendtest.TolFloat32) {
			t.Errorf("%s h=%d heads=%d lengths %v: relative error %.3g > %.3g", v, c.h, c.heads, c.lengths, e, backendtest.TolFloat32)
		}
	}
}
