package shim

import (
	"runtime"
	"sync"
)

// worker runs every call into a shim on one OS thread. MLX keeps a
// default stream per thread (mlx/stream.h: "Get the default stream of
// current thread") and CUDA a current device per thread, while Go moves
// goroutines between threads; one locked thread gives the library the
// single-threaded caller it expects.
//
// Free may come from any goroutine (a collected array's cleanup): handles
// to free are queued and released by the worker before its next call.
type worker struct {
	calls chan func()

	mu      sync.Mutex
	pending []uintptr
	release func(uintptr) // the library's free
	closed  bool
}

// drainAt is the queue length at which Free asks the worker to drain
// without waiting for the next call.
const drainAt = 256

func newWorker(release func(uintptr)) *worker {
	w := &worker{calls: make(chan func(), 16), release: release}
	go func() {
		runtime.LockOSThread()
		for f := range w.calls {
			f()
		}
	}()
	return w
}

// do runs f on the worker's thread and returns its error. Queued frees run
// first.
func (w *worker) do(f func() error) error {
	done := make(chan error, 1)
	w.calls <- func() {
		w.drain()
		done <- f()
	}
	return <-done
}

// free queues h for release on the worker's thread.
func (w *worker) free(h uintptr) {
	if h == 0 {
		return
	}
	w.mu.Lock()
	if w.closed {
		w.mu.Unlock()
		return // the device is closed; the library keeps the memory
	}
	defer w.mu.Unlock()
	w.pending = append(w.pending, h)
	if len(w.pending) == drainAt {
		select {
		case w.calls <- w.drain:
		default: // busy: the next call drains
		}
	}
}

func (w *worker) drain() {
	w.mu.Lock()
	hs := w.pending
	w.pending = nil
	w.mu.Unlock()
	for _, h := range hs {
		w.release(h)
	}
}

// stop drains the queue, runs last on the worker's thread, and ends the
// worker; later frees are dropped.
func (w *worker) stop(last func()) {
	_ = w.do(func() error {
		last()
		return nil
	})
	w.mu.Lock()
	defer w.mu.Unlock()
	w.closed = true
	close(w.calls)
}
