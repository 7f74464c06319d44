package cpu

import (
	"sync"
	"sync/atomic"
)

// parallelFor splits [0, n) into contiguous chunks of at least grain items
// and runs body on them on up to c.workers goroutines.
func (c *Backend) parallelFor(n, grain int, body func(lo, hi int)) {
	if n <= 0 {
		return
	}
	grain = max(grain, 1)
	parts := min(c.workers, (n+grain-1)/grain)
	if parts <= 1 {
		body(0, n)
		return
	}
	var wg sync.WaitGroup
	for p := range parts {
		lo, hi := p*n/parts, (p+1)*n/parts
		wg.Add(1)
		go func() {
			defer wg.Done()
			body(lo, hi)
		}()
	}
	wg.Wait()
}

// parallelWorkers runs body(w, lo, hi) once per worker w over contiguous
// chunks of [0, n), returning the number of workers used; each worker can
// keep state of its own indexed by w.
func (c *Backend) parallelWorkers(n, grain int, body func(w, lo, hi int)) int {
	grain = max(grain, 1)
	parts := max(1, min(c.workers, (n+grain-1)/grain))
	var wg sync.WaitGroup
	for p := range parts {
		lo, hi := p*n/parts, (p+1)*n/parts
		wg.Add(1)
		go func() {
			defer wg.Done()
			body(p, lo, hi)
		}()
	}
	wg.Wait()
	return parts
}

// parallelTasks runs tasks 0..n-1 on up to c.workers goroutines, each
// taking the next task when it finishes one, so that a worker slowed down
// (by another program on its core) takes fewer. worker is called once on
// each goroutine and returns the function that runs a task there, so that
// it can keep scratch memory of its own.
func (c *Backend) parallelTasks(n int, worker func() func(t int)) {
	if n <= 0 {
		return
	}
	parts := min(c.workers, n)
	if parts <= 1 {
		run := worker()
		for t := range n {
			run(t)
		}
		return
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	for range parts {
		wg.Add(1)
		go func() {
			defer wg.Done()
			run := worker()
			for t := int(next.Add(1) - 1); t < n; t = int(next.Add(1) - 1) {
				run(t)
			}
		}()
	}
	wg.Wait()
}
