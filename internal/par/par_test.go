package par

import (
	"math/rand/v2"
	"runtime"
	"sync"
	"testing"
)

// cover checks that run's calls of f cover [0, n) exactly once, with parts
// of the given shape.
func cover(t *testing.T, name string, n int, run func(f func(lo, hi int)), check func(lo, hi int) bool) int {
	t.Helper()
	seen := make([]int32, max(n, 0))
	var mu sync.Mutex
	calls := 0
	run(func(lo, hi int) {
		mu.Lock()
		defer mu.Unlock()
		calls++
		if lo < 0 || hi > n || lo >= hi || !check(lo, hi) {
			t.Errorf("%s n=%d: part [%d, %d)", name, n, lo, hi)
			return
		}
		for i := lo; i < hi; i++ {
			seen[i]++
		}
	})
	for i, c := range seen {
		if c != 1 {
			t.Fatalf("%s n=%d: index %d covered %d times", name, n, i, c)
		}
	}
	return calls
}

func TestSplitAndChunks(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(0))
	for _, procs := range []int{1, 3, 8} {
		runtime.GOMAXPROCS(procs)
		splitAndChunks(t, procs)
	}
}

func splitAndChunks(t *testing.T, procs int) {
	r := rand.New(rand.NewPCG(1, uint64(procs)))
	for _, n := range []int{-3, 0, 1, 2, 7, 63, 64, 65, 1000, 4097, 100_003 + r.IntN(1000)} {
		for _, grain := range []int{0, 1, 3, 64, 1 << 20} {
			calls := cover(t, "Split", n, func(f func(lo, hi int)) { Split(n, grain, f) }, func(lo, hi int) bool {
				return hi-lo >= max(grain, 1) || n < 2*max(grain, 1)
			})
			want := 0
			if n > 0 {
				want = max(1, min(procs, n/max(grain, 1)))
			}
			if calls != want {
				t.Errorf("Split(%d, %d): %d parts, want %d", n, grain, calls, want)
			}
			chunk := grain
			calls = cover(t, "Chunks", n, func(f func(lo, hi int)) { Chunks(n, chunk, f) }, func(lo, hi int) bool {
				c := max(chunk, 1)
				return hi-lo == min(c, n-lo) && (lo%c == 0 || n <= c) || lo == 0 && hi == n
			})
			if n > 0 && calls != (n+max(chunk, 1)-1)/max(chunk, 1) && calls != 1 {
				t.Errorf("Chunks(%d, %d): %d calls", n, chunk, calls)
			}
		}
	}
}

func TestRows(t *testing.T) {
	for _, c := range [][2]int{{0, 768}, {1, 768}, {85, 768}, {1000, 768}, {100_000, 3}, {7, 1 << 20}, {5, 0}} {
		n, d := c[0], c[1]
		parts := cover(t, "Rows", n, func(f func(lo, hi int)) { Rows(n, d, f) }, func(lo, hi int) bool {
			return (hi-lo)*max(d, 1) >= RowGrain || lo == 0 && hi == n
		})
		if n*max(d, 1) >= 2*RowGrain && runtime.GOMAXPROCS(0) > 1 && parts < 2 {
			t.Errorf("Rows(%d, %d): one part for %d values", n, d, n*d)
		}
	}
}

func TestEach(t *testing.T) {
	for _, n := range []int{0, 1, 5, 37} {
		got := make([]int, n)
		Each(n, func(i int) { got[i] += i + 1 })
		for i, v := range got {
			if v != i+1 {
				t.Fatalf("Each(%d): f(%d) ran to %d", n, i, v)
			}
		}
	}
}
