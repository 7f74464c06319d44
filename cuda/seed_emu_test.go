package cuda

import (
	"encoding/binary"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/silica-go/silica/engine"
)

// TestSeedFinalEmulated runs the end of a seeded search (topk.cu's
// seed_final over each query's list of the keys that pass its seeded
// threshold, then topk_select) in the CPU emulator, on scores with exact
// ties and NaN, largest and smallest first, with thresholds that let
// fewer than k rows pass, exactly k (a tie at the threshold), more, more
// than the list holds, and none (NaN: every row), and checks the flag of
// each query, and every value and index of those it passes against a
// float64 sort: best first, ties to the smaller index, NaN last.
func TestSeedFinalEmulated(t *testing.T) {
	t.Parallel()
	exe := buildEmuMain(t, selectVariant(engine.Float32), "seed_main.cpp")
	cases := []struct {
		g, n, k, L int
		ties       bool
	}{
		{6, 3001, 100, 400, false},
		{6, 2000, 300, 1300, true},
		{6, 500, 1, 50, true},
		{6, 1200, 257, 1200, false},
	}
	for ci, c := range cases {
		largest := ci%2 == 0
		rng := rand.New(rand.NewPCG(29, uint64(ci)))
		x := selectScores(rng, c.g*c.n, c.ties)
		thr := make([]float32, c.g)
		var in []byte
		for _, h := range []int64{int64(c.g), int64(c.n), int64(c.k), b2i(largest), int64(c.L)} {
			in = binary.LittleEndian.AppendUint64(in, uint64(h))
		}
		for _, v := range x {
			in = binary.LittleEndian.AppendUint32(in, math.Float32bits(v))
		}
		orders := make([][]int, c.g)
		for q := range c.g {
			row := x[q*c.n : (q+1)*c.n]
			orders[q] = rankOrder(row, largest)
			// The threshold: the score at rank k-1 (at least k pass), k/2
			// (too few unless ties), 2k, 0 (NaN scores aside, every row
			// passes: more than the list holds), near the end, NaN.
			ranks := []int{c.k - 1, c.k / 2, min(2*c.k, c.n-1), 0, c.n - 1 - c.n/10}
			if q < len(ranks) {
				thr[q] = row[orders[q][ranks[q]]]
				if q == 3 {
					thr[q] = row[orders[q][c.n-1]]
				}
			} else {
				thr[q] = float32(math.NaN())
			}
			in = binary.LittleEndian.AppendUint32(in, math.Float32bits(thr[q]))
		}
		out := runEmu(t, exe, in, c.g*4+c.g*c.k*12)
		for q := range c.g {
			row := x[q*c.n : (q+1)*c.n]
			pass := 0
			for _, s := range row {
				if th := thr[q]; th != th || s != s || (largest && s >= th) || (!largest && s <= th) {
					pass++
				}
			}
			wantOK := pass >= c.k && pass <= c.L
			ok := int32(binary.LittleEndian.Uint32(out[4*q:]))
			if ok != int32(b2i(wantOK)) {
				t.Fatalf("case %d query %d: %d rows pass (k %d, list %d): flag %d, want %t", ci, q, pass, c.k, c.L, ok, wantOK)
			}
			if !wantOK {
				continue
			}
			for j := range c.k {
				o := q*c.k + j
				gv := math.Float32frombits(binary.LittleEndian.Uint32(out[4*c.g+4*o:]))
				gi := int64(binary.LittleEndian.Uint64(out[4*c.g+4*c.g*c.k+8*o:]))
				want := orders[q][j]
				if wv := row[want]; gi != int64(want) || !(gv == wv || (gv != gv && wv != wv)) {
					t.Fatalf("case %d query %d rank %d: got %v at %d, want %v at %d", ci, q, j, gv, gi, wv, want)
				}
			}
		}
		t.Logf("g %d n %d k %d L %d largest %t: flags and every passing query's best k exact", c.g, c.n, c.k, c.L, largest)
	}
}
