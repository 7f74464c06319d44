package cuda

import (
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/silica-go/silica/engine"
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

// TestAllocFromPool checks that an allocation the pool holds is served on
// the caller's goroutine (the device goroutine of this backend never
// runs, so a round trip would hang), and that a closed backend serves
// none. It needs no GPU.
func TestAllocFromPool(t *testing.T) {
	b := &Backend{d: &device{work: make(chan func())}, pool: pool{free: map[int][]dptr{}}}
	c := classOf(1000)
	b.pool.put(c, 0x10000)
	got := make(chan engine.Buffer, 1)
	go func() {
		buf, err := b.Alloc(1000)
		if err != nil {
			t.Error(err)
		}
		got <- buf
	}()
	select {
	case buf := <-got:
		if bb, ok := buf.(*buffer); !ok || bb.ptr != 0x10000 || bb.size != 1000 || bb.class != c {
			t.Fatalf("Alloc(1000) = %+v, want the pooled buffer 0x10000 of class %d", buf, c)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Alloc of a pooled size waited for the device goroutine")
	}
	b.pool.put(c, 0x20000)
	b.closed = true
	if _, err := b.Alloc(1000); !errors.Is(err, errClosed) {
		t.Fatalf("Alloc after Close: %v, want errClosed", err)
	}
}
