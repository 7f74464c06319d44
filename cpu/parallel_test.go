package cpu

import (
	"sync/atomic"
	"testing"
)

// TestParallelTasks checks that every task runs exactly once, on at most
// the backend's workers, whatever the count of tasks and workers.
func TestParallelTasks(t *testing.T) {
	for _, workers := range []int{1, 2, 3, 8} {
		for _, n := range []int{0, 1, 2, 7, 100} {
			runs := make([]atomic.Int32, n)
			var started atomic.Int32
			(&Backend{workers: workers}).parallelTasks(n, func() func(int) {
				started.Add(1)
				return func(i int) { runs[i].Add(1) }
			})
			for i := range runs {
				if got := runs[i].Load(); got != 1 {
					t.Fatalf("workers %d, %d tasks: task %d ran %d times", workers, n, i, got)
				}
			}
			if s := int(started.Load()); s > workers || n > 0 && s == 0 {
				t.Fatalf("workers %d, %d tasks: %d workers started", workers, n, s)
			}
		}
	}
}
