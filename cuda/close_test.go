package cuda

import (
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/silica-go/silica/engine"
)

// fakeBackend is a Backend over a device with no GPU behind it: a driver
// call in its work fails or panics, which do turns into an error.
func fakeBackend() *Backend {
	return &Backend{d: &device{mods: map[string]*module{}}, pool: pool{free: map[int][]dptr{}}}
}

// TestCloseConcurrent closes backends from several goroutines at once,
// while other calls are in flight: one Close does the work and the others
// return nil, no call reaches the device after it, and every later call
// fails with errClosed. It needs no GPU.
func TestCloseConcurrent(t *testing.T) {
	for range 200 {
		b := fakeBackend()
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
				err := b.do(func() error { return nil })
				if err != nil && !errors.Is(err, errClosed) && !strings.Contains(err.Error(), "panic") {
					t.Errorf("a call racing Close: %v, want nil, errClosed or the fake driver's panic", err)
				}
			}()
		}
		close(start)
		wg.Wait()
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

// TestAllocFromPool checks that an allocation the pool holds is served
// without a driver call (the device's lock is held meanwhile, so one
// would hang), and that a closed backend serves none. It needs no GPU.
func TestAllocFromPool(t *testing.T) {
	b := &Backend{d: &device{}, pool: pool{free: map[int][]dptr{}}}
	b.d.mu.Lock()
	defer b.d.mu.Unlock()
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
		t.Fatal("Alloc of a pooled size waited for the device")
	}
	b.pool.put(c, 0x20000)
	b.closed = true
	if _, err := b.Alloc(1000); !errors.Is(err, errClosed) {
		t.Fatalf("Alloc after Close: %v, want errClosed", err)
	}
}
