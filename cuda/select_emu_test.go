package cuda

import (
	"encoding/binary"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/silica-go/silica/engine"
	"github.com/silica-go/silica/internal/testenv"
)

// TestSelectLongEmulated runs the multi-block select (topk.cu's
// radix_pass, radix_collect and then topk_select or rank_select over the
// candidates, as selectLong launches them) in the CPU emulator on rows
// with many exact ties and NaN, at awkward lengths, with the caps
// selectLong uses and with cap 1 (every row goes through all the passes
// its ties need), the candidates ordered by topk_select with its keys in
// shared memory or in scratch, or by rank_select (whose buffer past the
// keys collected is poison), and checks every value and index against a
// float64 sort: best first, ties to the smaller index, NaN last; with
// radix_pass's digits of 8 bits and of 11 (radixBits).
func TestSelectLongEmulated(t *testing.T) {
	t.Parallel() // CPU-bound and long: beside the others, not after them
	for _, bits := range []int{8, 11} {
		t.Run(fmt.Sprintf("bits%d", bits), func(t *testing.T) {
			selectLongEmulated(t, buildEmuMain(t, selectVariantBits(engine.Float32, bits), "select_long_main.cpp"))
		})
	}
}

// selectLongEmulated is TestSelectLongEmulated with the harness exe,
// built for one width of radix_pass's digits.
func selectLongEmulated(t *testing.T, exe string) {
	const (
		smem = iota
		scratch
		rank
	)
	cases := []struct {
		rows, L, k, nb int
		ties           bool
		cap            int // 0: radixCap(k)
		order          int // smem, scratch or rank
	}{
		{3, 5001, 1, 3, false, 0, smem}, {2, 4099, 10, 4, true, 0, scratch}, {1, 3000, 700, 2, true, 1, rank},
		{2, 2500, 2500, 3, false, 0, smem}, {3, 1777, 33, 5, true, 1, scratch}, {1, 6000, 300, 4, false, 5, rank},
		{3, 2049, 999, 3, true, 0, rank}, {2, 2100, 2100, 2, false, 0, rank},
	}
	// Each case with the largest and with the smallest first: the default
	// run takes one of the two for each case, alternating; the exhaustive
	// one (CI's sweep step, on every CI run) both.
	var keep []int
	for i := range cases {
		keep = append(keep, 2*i+i%2)
	}
	for _, j := range testenv.Sample(t, 2*len(cases), keep, 0) {
		c, largest := cases[j/2], j%2 == 0
		rng := rand.New(rand.NewPCG(17, 4+uint64(j)))
		x := selectScores(rng, c.rows*c.L, c.ties)
		cp := c.cap
		if cp == 0 {
			cp = radixCap(c.k)
		}
		smemKeys := 0
		if c.order == smem {
			smemKeys = pow2AtLeast(c.k)
		}
		var in []byte
		for _, h := range []int64{int64(c.rows), int64(c.L), int64(c.k), b2i(largest), int64(cp), int64(c.nb), int64(smemKeys), b2i(c.order == rank)} {
			in = binary.LittleEndian.AppendUint64(in, uint64(h))
		}
		for _, v := range x {
			in = binary.LittleEndian.AppendUint32(in, math.Float32bits(v))
		}
		out := runEmu(t, exe, in, c.rows*c.k*12)
		for r := range c.rows {
			want := rankOrder(x[r*c.L:(r+1)*c.L], largest)
			for j := range c.k {
				o := r*c.k + j
				gv := math.Float32frombits(binary.LittleEndian.Uint32(out[4*o:]))
				gi := int64(binary.LittleEndian.Uint64(out[4*c.rows*c.k+8*o:]))
				wv := x[r*c.L+want[j]]
				if gi != int64(want[j]) || !(gv == wv || (gv != gv && wv != wv)) {
					t.Fatalf("rows %d L %d k %d cap %d largest %t order %d: row %d rank %d: got %v at %d, want %v at %d",
						c.rows, c.L, c.k, cp, largest, c.order, r, j, gv, gi, wv, want[j])
				}
			}
		}
	}
}

// selectScores draws n scores for a select's test: normal, or with
// ties integers from -4 to 4; about one in 97 NaN.
func selectScores(rng *rand.Rand, n int, ties bool) []float32 {
	x := make([]float32, n)
	for i := range x {
		if ties {
			x[i] = float32(rng.IntN(9)) - 4
		} else {
			x[i] = float32(rng.NormFloat64())
		}
		if rng.IntN(97) == 0 {
			x[i] = float32(math.NaN())
		}
	}
	return x
}

// rankOrder returns the indices of x best first: largest (or smallest)
// value first, in float64, ties to the smaller index, NaN last.
func rankOrder(x []float32, largest bool) []int {
	idx := make([]int, len(x))
	for i := range idx {
		idx[i] = i
	}
	slices.SortStableFunc(idx, func(a, b int) int {
		va, vb := float64(x[a]), float64(x[b])
		switch na, nb := math.IsNaN(va), math.IsNaN(vb); {
		case na && nb:
			return 0
		case na:
			return 1
		case nb:
			return -1
		}
		if !largest {
			va, vb = vb, va
		}
		switch {
		case va > vb:
			return -1
		case va < vb:
			return 1
		}
		return 0
	})
	return idx
}

// TestPickDigitEmulated runs topk.cu's pick_digit, the multi-block and
// one-block selects' choice of the bin that holds the krem-th key, in the
// CPU emulator on sparse and dense histograms, with krem at each bin's
// running sum, one past it and one before it (so the key falls on the
// last bin of a lane's eight, the first of the next, and between; and
// past the histogram's keys, which no select asks), and checks every
// thread's answer against a walk over the bins: the first bin below 255
// whose running sum reaches krem, else 255, and the sum of the bins
// before it.
func TestPickDigitEmulated(t *testing.T) {
	exe := buildEmuMain(t, selectVariant(engine.Float32), "pick_digit_main.cpp")
	rng := rand.New(rand.NewPCG(23, 29))
	type pick struct {
		bins []uint32
		krem int32
	}
	var cases []pick
	for h := range 12 {
		bins := make([]uint32, 256)
		for b := range bins {
			switch {
			case h%3 == 0 && rng.IntN(10) != 0: // sparse: most bins empty
			case h%3 == 1:
				bins[b] = uint32(rng.IntN(4))
			default:
				bins[b] = uint32(rng.IntN(100000))
			}
		}
		if h == 0 {
			clear(bins)
			bins[255] = 9 // every key in the last bin
		}
		var sum int32
		krems := []int32{1}
		for _, v := range bins {
			sum += int32(v)
			krems = append(krems, sum-1, sum, sum+1)
		}
		for _, kr := range krems {
			if kr >= 1 && kr <= sum+1 && (len(cases) == 0 || rng.IntN(3) == 0 || kr >= sum) {
				cases = append(cases, pick{bins, kr})
			}
		}
	}
	in := binary.LittleEndian.AppendUint64(nil, uint64(len(cases)))
	for _, c := range cases {
		for _, v := range c.bins {
			in = binary.LittleEndian.AppendUint32(in, v)
		}
		in = binary.LittleEndian.AppendUint32(in, uint32(c.krem))
	}
	out := runEmu(t, exe, in, len(cases)*256*2*4)
	for i, c := range cases {
		wantBin, wantBefore := 0, int32(0)
		for ; wantBin < 255; wantBin++ {
			if wantBefore+int32(c.bins[wantBin]) >= c.krem {
				break
			}
			wantBefore += int32(c.bins[wantBin])
		}
		for th := range 256 {
			o := (i*256 + th) * 8
			bin, before := int32(binary.LittleEndian.Uint32(out[o:])), int32(binary.LittleEndian.Uint32(out[o+4:]))
			if bin != int32(wantBin) || before != wantBefore {
				t.Fatalf("case %d (krem %d): thread %d got bin %d after %d, want bin %d after %d", i, c.krem, th, bin, before, wantBin, wantBefore)
			}
		}
	}
	t.Logf("%d cases", len(cases))
}
