package cuda

import (
	"encoding/binary"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/silica-go/silica/engine"
	"github.com/silica-go/silica/internal/testenv"
)

// TestCandSelectEmulated runs candSelect's kernels (topk.cu's
// cand_filter and cand_compact over each part of the rows, then
// topk_select over the candidate buffers) in the CPU emulator on scores
// with exact ties and NaN, at awkward lengths and parts (k past a part,
// parts of one row, a last part of a few rows), with and without a row
// bitmap (fewer rows passing than k among them), largest and smallest
// first, buffers cut back past 2k and 3k keys, and checks every value and index against a float64 sort of the
// masked scores: best first, ties to the smaller index, NaN last.
func TestCandSelectEmulated(t *testing.T) {
	t.Parallel()
	exe := buildEmuMain(t, selectVariant(engine.Float32), "cand_main.cpp")
	cases := []struct {
		g, n, p, k int
		ties       bool
		share      float64 // rows passing the bitmap; 0: no bitmap
	}{
		{3, 5003, 700, 100, false, 0},
		{2, 3001, 512, 300, true, 0.5},
		{4, 2500, 999, 40, false, 0.01},
		{1, 1800, 300, 600, true, 0},
		{2, 97, 1, 5, true, 0},
		{3, 4000, 1024, 1, false, 0.3},
	}
	// The default run keeps the first three (both cut-backs, a bitmap
	// with ties, one with fewer passing rows than k) and one drawn at
	// random; the exhaustive run (CI's sweep step) runs all.
	for _, ci := range testenv.Sample(t, len(cases), []int{0, 1, 2}, 1) {
		c := cases[ci]
		largest := ci%2 == 0
		rng := rand.New(rand.NewPCG(23, uint64(ci)))
		x := selectScores(rng, c.g*c.n, c.ties)
		var words []uint32
		if c.share > 0 {
			words = make([]uint32, (c.n+31)/32)
			for r := range c.n {
				if rng.Float64() < c.share {
					words[r/32] |= 1 << (r % 32)
				}
			}
		}
		var in []byte
		keep := 2 + int64(ci/2%2) // candSelect's 2 (64 queries or fewer) and 3
		for _, h := range []int64{int64(c.g), int64(c.n), int64(c.p), int64(c.k), b2i(largest), b2i(words != nil), keep} {
			in = binary.LittleEndian.AppendUint64(in, uint64(h))
		}
		for _, v := range x {
			in = binary.LittleEndian.AppendUint32(in, math.Float32bits(v))
		}
		for _, w := range words {
			in = binary.LittleEndian.AppendUint32(in, w)
		}
		out := runEmu(t, exe, in, c.g*c.k*12)
		worst := float32(math.Inf(1))
		if largest {
			worst = float32(math.Inf(-1))
		}
		for q := range c.g {
			row := append([]float32(nil), x[q*c.n:(q+1)*c.n]...)
			for r := range row {
				if words != nil && words[r/32]>>(r%32)&1 == 0 {
					row[r] = worst
				}
			}
			want := rankOrder(row, largest)
			for j := range c.k {
				o := q*c.k + j
				gv := math.Float32frombits(binary.LittleEndian.Uint32(out[4*o:]))
				gi := int64(binary.LittleEndian.Uint64(out[4*c.g*c.k+8*o:]))
				wv := row[want[j]]
				if gi != int64(want[j]) || !(gv == wv || (gv != gv && wv != wv)) {
					t.Fatalf("g %d n %d part %d k %d largest %t share %g: query %d rank %d: got %v at %d, want %v at %d",
						c.g, c.n, c.p, c.k, largest, c.share, q, j, gv, gi, wv, want[j])
				}
			}
		}
	}
}
