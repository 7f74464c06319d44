package cpu

import (
	"cmp"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// TestSelector checks the bounded selection against a full sort: values
// drawn from a few levels (so most tie) of both signs and from a normal
// distribution (some one ulp apart), with NaNs,
// infinities and both zeros, offered in shuffled
// index order, for k around the buffer's compaction (2k) and past the
// count, both orders; the result must be the reference's first k,
// exactly, ties to the smaller index and NaN last. Each selector is
// released after use, so that the next reuses its buffers (and must not
// keep its state).
func TestSelector(t *testing.T) {
	r := rand.New(rand.NewPCG(31, 31))
	for _, n := range []int{0, 1, 5, 200, 1000, 5000} {
		for _, k := range []int{1, 2, 3, 7, 100, 499, 500, 501, 4096, 6000} {
			for _, largest := range []bool{true, false} {
				o := order{largest}
				vals := make([]float32, n)
				for i := range vals {
					vals[i] = float32(r.IntN(50)-25) / 4
					if r.IntN(3) == 0 {
						vals[i] = float32(r.NormFloat64()) // every bit matters
						if i > 0 && r.IntN(4) == 0 {
							vals[i] = math.Nextafter32(vals[i-1], float32(math.Inf(1))) // one ulp apart
						}
					}
					if r.IntN(10) == 0 {
						vals[i] = []float32{float32(math.NaN()), float32(math.Inf(1)), float32(math.Inf(-1)), float32(math.Copysign(0, -1))}[r.IntN(4)]
					}
				}
				perm := r.Perm(n)
				s := newSelector(o, k)
				for _, i := range perm {
					s.offer(vals[i], int64(i))
				}
				ref := make([]int64, n)
				for i := range ref {
					ref[i] = int64(i)
				}
				slices.SortFunc(ref, func(a, b int64) int {
					if o.ahead(vals[a], a, vals[b], b) {
						return -1
					}
					return 1
				})
				want := ref[:min(k, n)]
				gv, gi := make([]float32, len(want)), make([]int64, len(want))
				s.sorted(gv, gi)
				name := fmt.Sprintf("n=%d k=%d largest=%v", n, k, largest)
				if !slices.Equal(gi, want) {
					t.Fatalf("%s: indices %v..., want %v...", name, gi[:min(8, len(gi))], want[:min(8, len(want))])
				}
				for r, i := range gi {
					if math.Float32bits(gv[r]) != math.Float32bits(vals[i]) {
						t.Fatalf("%s: rank %d value %v, row %d holds %v", name, r, gv[r], i, vals[i])
					}
				}
				release(s)
			}
		}
	}
}

// TestFirstNotBehind checks the threshold tests against a plain loop at
// every length through three blocks of 16 and every position of the
// first hit (or none), with values tied to the threshold, NaN and
// infinities among the scores before and after it.
func TestFirstNotBehind(t *testing.T) {
	bothKernelSets(t, func(t *testing.T) {
		r := rand.New(rand.NewPCG(33, 33))
		const th = float32(0.5)
		specials := []float32{th, float32(math.NaN()), float32(math.Inf(1)), float32(math.Inf(-1)), 0.75, 0.25}
		for n := range 50 {
			for hit := 0; hit <= n; hit++ {
				for _, largest := range []bool{true, false} {
					behind := func() float32 { // strictly behind th
						if largest {
							return th - 1 - float32(r.Float64())
						}
						return th + 1 + float32(r.Float64())
					}
					v := make([]float32, n)
					for i := range v {
						v[i] = behind()
					}
					if hit < n {
						v[hit] = specials[r.IntN(len(specials))]
						for i := hit + 1; i < n; i++ {
							if r.IntN(3) == 0 {
								v[i] = specials[r.IntN(len(specials))]
							}
						}
					}
					f, ref := firstNotAbove, firstNotAboveGo
					if largest {
						f, ref = firstNotBelow, firstNotBelowGo
					}
					if got, want := f(v, th), ref(v, th); got != want {
						t.Fatalf("n=%d largest %t: first not behind %v in %v: %d, want %d", n, largest, th, v, got, want)
					}
				}
			}
		}
	})
}

// TestRadixSortHigh checks sorted's radix sort against a stable sort by
// the upper halves: upper halves that share their top bytes (the passes
// of those skipped), that share none, that share all (every pass
// skipped), and that mostly share all but their last byte (the first
// key's digit most keys', not every key's), lower halves random, at
// lengths around 512 and beyond.
func TestRadixSortHigh(t *testing.T) {
	r := rand.New(rand.NewPCG(35, 35))
	for _, n := range []int{1, 2, 511, 512, 4097} {
		for _, shared := range []uint32{0, 0xffff0000, 0xffffff00, 0xffffffff, 1} {
			base := r.Uint32() & shared
			keys := make([]uint64, n)
			for i := range keys {
				hi := base | r.Uint32()&^shared
				if shared == 1 && r.IntN(8) != 0 {
					hi = base&0xffffff00 | r.Uint32()&0xff
				}
				if r.IntN(4) == 0 && i > 0 {
					hi = uint32(keys[i-1] >> 32) // equal upper halves keep their order
				}
				keys[i] = uint64(hi)<<32 | uint64(r.Uint32())
			}
			want := slices.Clone(keys)
			slices.SortStableFunc(want, func(a, b uint64) int { return cmp.Compare(a>>32, b>>32) })
			radixSortHigh(keys, make([]uint64, n))
			if !slices.Equal(keys, want) {
				t.Fatalf("n=%d shared bits %#x: sorted %x..., want %x...", n, shared, keys[:min(4, n)], want[:min(4, n)])
			}
		}
	}
}
