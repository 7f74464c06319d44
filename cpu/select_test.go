package cpu

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// TestSelector checks the bounded selection against a full sort: values
// drawn from a few levels (so most tie) with NaNs, offered in shuffled
// index order, for k around the buffer's compaction (2k) and past the
// count, both orders; the result must be the reference's first k,
// exactly, ties to the smaller index and NaN last.
func TestSelector(t *testing.T) {
	r := rand.New(rand.NewPCG(31, 31))
	for _, n := range []int{0, 1, 5, 200, 1000, 5000} {
		for _, k := range []int{1, 2, 3, 7, 100, 499, 500, 501, 4096, 6000} {
			for _, largest := range []bool{true, false} {
				o := order{largest}
				vals := make([]float32, n)
				for i := range vals {
					vals[i] = float32(r.IntN(50))
					if r.IntN(20) == 0 {
						vals[i] = float32(math.NaN())
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
			}
		}
	}
}
