// Package par runs the parts of a loop on several goroutines: the host
// loops of more than one package (the store's checks and copies, the
// engine's join of rows, CUDA's staging copies, the encoder's
// tokenization, the benchmark tools).
package par

import (
	"runtime"
	"sync"
	"sync/atomic"
)

// Split calls f(lo, hi) over consecutive parts of [0, n) that cover it,
// one part a goroutine, on as many goroutines as GOMAXPROCS and n/grain
// allow (grain is the fewest indices worth a goroutine of their own), and
// returns when every call has returned. With one part, f runs in the
// caller's goroutine; with n <= 0, f is not called.
func Split(n, grain int, f func(lo, hi int)) {
	if n <= 0 {
		return
	}
	workers := min(runtime.GOMAXPROCS(0), n/max(grain, 1))
	if workers <= 1 {
		f(0, n)
		return
	}
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() { f(w*n/workers, (w+1)*n/workers) })
	}
	wg.Wait()
}

// RowGrain is the fewest values a goroutine of Rows takes: below it
// (about 50 µs of checking or copying) one goroutine does all.
const RowGrain = 1 << 16

// Rows is Split over n rows of d values each, at least RowGrain values a
// goroutine.
func Rows(n, d int, f func(lo, hi int)) {
	Split(n, max(1, RowGrain/max(d, 1)), f)
}

// Chunks calls f(lo, hi) over the chunks [0, chunk), [chunk, 2 chunk), ...
// of [0, n), handed out in order to up to GOMAXPROCS goroutines as each
// finishes its last (for work whose cost varies by index), and returns
// when every call has returned. With one chunk, f runs in the caller's
// goroutine.
func Chunks(n, chunk int, f func(lo, hi int)) {
	if n <= 0 {
		return
	}
	chunk = max(chunk, 1)
	chunks := (n + chunk - 1) / chunk
	workers := min(runtime.GOMAXPROCS(0), chunks)
	if workers <= 1 {
		f(0, n)
		return
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for c := int(next.Add(1) - 1); c < chunks; c = int(next.Add(1) - 1) {
				f(c*chunk, min(n, (c+1)*chunk))
			}
		})
	}
	wg.Wait()
}

// Each calls f(0) to f(n-1), each on a goroutine of its own, and returns
// when every call has returned.
func Each(n int, f func(i int)) {
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { f(i) })
	}
	wg.Wait()
}
