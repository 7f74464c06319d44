package cuda

import (
	"errors"
	"sync"
	"testing"
)

// fakeBackend is a Backend over a device with no GPU behind it: its
// goroutine runs the work it is handed (a driver call in it fails or
// panics, which do turns into an error) and closes done when the work
// channel closes.
func fakeBackend() (b *Backend, done chan struct{}) {
	d := &device{work: make(chan func()), mods: map[string]*module{}}
	done = make(chan struct{})
	go func() {
		for f := range d.work {
			f()
		}
		close(done)
	}()
	return &Backend{d: d, pool: pool{free: map[int][]dptr{}}}, done
}

// TestCloseConcurrent closes backends from several goroutines at once,
// while other calls are in flight: the work channel must close exactly
// once (a second close panics), no call may send on it after (a panic
// too), one Close does the work and the others return nil, and every
// later call fails with errClosed. It needs no GPU.
func TestCloseConcurrent(t *testing.T) {
	for range 200 {
		b, done := fakeBackend()
		var wg sync.WaitGroup
		start := make(chan struct{})
		closeErrs := make([]error, 4)
		for i := range closeErrs {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				closeErrs[i] = b.Close()
			}()
		}
		for range 4 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				if err := b.do(func() error { return nil }); err != nil && !errors.Is(err, errClosed) {
					t.Errorf("a call racing Close: %v, want nil or errClosed", err)
				}
			}()
		}
		close(start)
		wg.Wait()
		<-done // the device goroutine ended: the channel is closed
		nonNil := 0
		for _, err := range closeErrs {
			if err != nil {
				nonNil++ // the one Close that ran: its sync fails without a driver
			}
		}
		if nonNil > 1 {
			t.Fatalf("%d of %d concurrent Close calls did the work (errors %v), want at most 1", nonNil, len(closeErrs), closeErrs)
		}
		if err := b.Synchronize(); !errors.Is(err, errClosed) {
			t.Fatalf("Synchronize after Close: %v, want errClosed", err)
		}
		if err := b.Close(); err != nil {
			t.Fatalf("Close after Close: %v, want nil", err)
		}
	}
}
