package shim

import (
	"sync"
	"sync/atomic"
	"testing"
)

// TestWorkerFrees frees handles from many goroutines while calls run and
// checks that each is released exactly once.
func TestWorkerFrees(t *testing.T) {
	var released sync.Map
	var n atomic.Int64
	w := newWorker(func(h uintptr) {
		if _, dup := released.LoadOrStore(h, true); dup {
			t.Errorf("handle %d released twice", h)
		}
		n.Add(1)
	})
	var wg sync.WaitGroup
	const goroutines, each = 8, 1000
	for g := range goroutines {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				w.free(uintptr(1 + g*each + i))
				if i%100 == 0 {
					_ = w.do(func() error { return nil })
				}
			}
		}()
	}
	wg.Wait()
	w.stop(func() {})
	if got := n.Load(); got != goroutines*each {
		t.Errorf("%d handles released, want %d", got, goroutines*each)
	}
	w.free(12345) // after stop: dropped, no panic
}
