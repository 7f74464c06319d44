package cuda

import (
	"encoding/binary"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/silica-go/silica/engine"
)

// TestMaskRowsEmulated runs topk.cu's mask_rows in the CPU emulator over
// scores of rows not a multiple of 32 long, with bitmaps of every density
// and the bits past n set, on grids small enough that the grid-stride
// loop wraps, and checks every score: copied where the row passes, -Inf
// (largest) or +Inf where it fails.
func TestMaskRowsEmulated(t *testing.T) {
	t.Parallel()
	exe := buildEmuMain(t, selectVariant(engine.Float32), "mask_rows_main.cpp")
	rng := rand.New(rand.NewPCG(15, 32))
	for _, c := range []struct {
		rows, n, blocks int
		share           float64
	}{{1, 1, 1, 1}, {3, 33, 1, 0.5}, {2, 1000, 3, 0.1}, {5, 777, 2, 0}, {1, 3001, 4, 0.01}} {
		for _, largest := range []bool{true, false} {
			total := c.rows * c.n
			words := make([]uint32, (c.n+31)/32)
			for r := range c.n {
				if rng.Float64() < c.share {
					words[r/32] |= 1 << (r % 32)
				}
			}
			if c.n%32 != 0 {
				words[len(words)-1] |= ^uint32(0) << (c.n % 32)
			}
			var in []byte
			for _, h := range []int64{int64(total), int64(c.n), b2i(largest), int64(c.blocks)} {
				in = binary.LittleEndian.AppendUint64(in, uint64(h))
			}
			x := make([]float32, total)
			for i := range x {
				x[i] = float32(rng.NormFloat64())
				in = binary.LittleEndian.AppendUint32(in, math.Float32bits(x[i]))
			}
			for _, w := range words {
				in = binary.LittleEndian.AppendUint32(in, w)
			}
			out := runEmu(t, exe, in, 4*total)
			bad := float32(math.Inf(1))
			if largest {
				bad = float32(math.Inf(-1))
			}
			for i := range total {
				r := i % c.n
				want := x[i]
				if words[r/32]>>(r%32)&1 == 0 {
					want = bad
				}
				if got := math.Float32frombits(binary.LittleEndian.Uint32(out[4*i:])); got != want {
					t.Fatalf("rows %d n %d share %g largest %t: score %d = %v, want %v", c.rows, c.n, c.share, largest, i, got, want)
				}
			}
		}
	}
}
