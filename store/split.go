package store

import (
	"runtime"
	"sync"
)

// splitMin is the fewest values a goroutine of splitRows takes: below it
// (about 50 µs of checking or copying) one goroutine does all.
const splitMin = 1 << 16

// splitRows calls f(lo, hi) over consecutive ranges covering rows 0 to
// n-1 (rows of d values), on as many goroutines as the machine has cores
// and the work is worth (one for small batches, in the caller's), and
// returns when every call has returned.
func splitRows(n, d int, f func(lo, hi int)) {
	workers := min(runtime.NumCPU(), n, max(1, n*max(d, 1)/splitMin))
	if workers <= 1 {
		if n > 0 {
			f(0, n)
		}
		return
	}
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() { f(w*n/workers, (w+1)*n/workers) })
	}
	wg.Wait()
}

// parallel calls f(0) to f(n-1), each on a goroutine of its own, and
// returns when every call has returned.
func parallel(n int, f func(i int)) {
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { f(i) })
	}
	wg.Wait()
}
