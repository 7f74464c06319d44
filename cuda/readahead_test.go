package cuda

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/silica-go/silica/engine"
)

// TestReadAhead checks the read-ahead of Engine.EvalRead on the device:
// views and reads of the arrays it computed (a top-k's values and rows,
// small and past the small pinned buffer) make no driver call and hold
// what a plain Eval's reads return; an array too large for the read-ahead
// memory, evaluated with them, reads right through the device; a copy
// into an array after its read-ahead, and another run, are seen by the
// next read.
func TestReadAhead(t *testing.T) {
	b := openTest(t)
	b.poison = true
	e := engine.New("cuda", b)
	ok := func(a *engine.Array, err error) *engine.Array {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return a
	}
	for _, c := range []struct{ m, n, k int }{{5, 1000, 7}, {64, 100003, 4096}} {
		search := func() (v, i, big *engine.Array) {
			x := ok(e.RandomNormal(3, engine.Float32, c.n, 96))
			q := ok(e.RandomNormal(4, engine.Float32, c.m, 96))
			v, i, err := engine.TopK(ok(engine.Cosine(q, x)), c.k, true)
			if err != nil {
				t.Fatal(err)
			}
			// Past aheadMax: read through the device.
			big = ok(engine.MatMul(ok(e.RandomNormal(5, engine.Float32, 200, 96)), ok(engine.SliceRows(x, 0, min(c.n, 90000))), false, true))
			return v, i, big
		}
		pv, pi, pbig := search()
		if err := e.Eval(pv, pi, pbig); err != nil {
			t.Fatal(err)
		}
		wantV, err := pv.Float32()
		if err != nil {
			t.Fatal(err)
		}
		wantI, err := pi.Int64()
		if err != nil {
			t.Fatal(err)
		}
		wantBig, err := pbig.Float32()
		if err != nil {
			t.Fatal(err)
		}

		v, i, big := search()
		if err := e.EvalRead([]*engine.Array{v, i, big}); err != nil {
			t.Fatal(err)
		}
		TraceDriver(true)
		var viewV []float32
		var viewI []int64
		errView := engine.View([]*engine.Array{v, i}, func(b [][]byte) error {
			viewV, viewI = slices.Clone(engine.Float32s(b[0])), slices.Clone(engine.Int64s(b[1]))
			return nil
		})
		gotV, errV := v.Float32()
		gotI, errI := i.Int64()
		calls := DriverTrace()
		TraceDriver(false)
		if errV != nil || errI != nil || errView != nil {
			t.Fatal(errV, errI, errView)
		}
		if len(calls) != 0 {
			t.Errorf("m=%d k=%d: a view and reads after EvalRead made %d driver calls (%s ...); want none", c.m, c.k, len(calls), calls[0].Name)
		}
		if !slices.Equal(viewV, wantV) || !slices.Equal(viewI, wantI) {
			t.Errorf("m=%d k=%d: the views after EvalRead differ from a plain Eval's reads", c.m, c.k)
		}
		gotBig, err := big.Float32()
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(gotV, wantV) || !slices.Equal(gotI, wantI) || !slices.Equal(gotBig, wantBig) {
			t.Errorf("m=%d k=%d: EvalRead's results differ from a plain Eval's", c.m, c.k)
		}

		// A copy into v after its read-ahead.
		row := ok(e.FromFloat32(slices.Repeat([]float32{-7}, c.k), 1, c.k))
		if err := engine.CopyRows(v, 1, row); err != nil {
			t.Fatal(err)
		}
		gotV, err = v.Float32()
		if err != nil {
			t.Fatal(err)
		}
		if gotV[c.k] != -7 || gotV[2*c.k-1] != -7 || gotV[0] != wantV[0] {
			t.Errorf("m=%d k=%d: after a copy into row 1 the values read %v, %v, %v; want %v, -7, -7", c.m, c.k, gotV[0], gotV[c.k], gotV[2*c.k-1], wantV[0])
		}

		// Another run, then i again.
		if err := e.EvalRead([]*engine.Array{ok(engine.Scale(v, 2))}); err != nil {
			t.Fatal(err)
		}
		if gotI, err = i.Int64(); err != nil || !slices.Equal(gotI, wantI) {
			t.Errorf("m=%d k=%d: rows read after another run differ (%v)", c.m, c.k, err)
		}
		for _, a := range []*engine.Array{pv, pi, pbig, v, i, big, row} {
			a.Free()
		}
	}
}

// TestReadAheadConcurrent runs searches on several goroutines at once,
// each checking its results inside a view of its read-ahead copies (or
// the copies View reads when another run made them stale), held open a
// millisecond. With the read-ahead's lock taken out it passed in run 26
// C, before the views were held that long; TestReadAheadWaitsForViews
// checks the lock itself.
func TestReadAheadConcurrent(t *testing.T) {
	b := openTest(t)
	e := engine.New("cuda", b)
	x, err := e.RandomNormal(3, engine.Float32, 20011, 64)
	if err != nil {
		t.Fatal(err)
	}
	defer x.Free()
	const workers, rounds, m, k = 4, 40, 16, 300
	search := func(seed uint64) (v, i *engine.Array, err error) {
		q, err := e.RandomNormal(seed, engine.Float32, m, 64)
		if err != nil {
			return nil, nil, err
		}
		c, err := engine.Cosine(q, x)
		if err != nil {
			return nil, nil, err
		}
		return engine.TopK(c, k, true)
	}
	errs := make(chan error, workers)
	for w := range workers {
		go func() {
			errs <- func() error {
				v, i, err := search(uint64(100 + w))
				if err != nil {
					return err
				}
				want, err := v.Float32()
				if err != nil {
					return err
				}
				wantI, err := i.Int64()
				if err != nil {
					return err
				}
				for range rounds {
					v, i, err := search(uint64(100 + w))
					if err != nil {
						return err
					}
					if err := e.EvalRead([]*engine.Array{v, i}); err != nil {
						return err
					}
					err = engine.View([]*engine.Array{v, i}, func(b [][]byte) error {
						// Long enough (a millisecond) for another worker's
						// run to copy its results.
						for start := time.Now(); time.Since(start) < time.Millisecond; {
							if !slices.Equal(engine.Float32s(b[0]), want) || !slices.Equal(engine.Int64s(b[1]), wantI) {
								return fmt.Errorf("worker %d: a view changed or differs from the plain read", w)
							}
						}
						return nil
					})
					v.Free()
					i.Free()
					if err != nil {
						return err
					}
				}
				return nil
			}()
		}()
	}
	for range workers {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
}

// TestReadAheadWaitsForViews opens a view of one search's read-ahead
// copies, starts another search that reads ahead from another goroutine,
// and gives it 100 ms to finish while the view is open: it must not (it
// waits for the view before it writes that memory), and the view must
// still hold the first search's results. Once the view closes, the
// second search finishes with its own results.
func TestReadAheadWaitsForViews(t *testing.T) {
	b := openTest(t)
	e := engine.New("cuda", b)
	search := func(seed uint64) (v, i *engine.Array) {
		x, err := e.RandomNormal(seed, engine.Float32, 5003, 96)
		if err != nil {
			t.Fatal(err)
		}
		v, i, err = engine.TopK(x, 40, true)
		if err != nil {
			t.Fatal(err)
		}
		return v, i
	}
	// Both searches are made first: making one may write the device,
	// which would end the first one's read-ahead copy (a view then copies
	// and waits for nothing).
	v1, i1 := search(1)
	v2, i2 := search(2)
	if err := e.EvalRead([]*engine.Array{v1, i1}); err != nil {
		t.Fatal(err)
	}
	want, err := v1.Float32()
	if err != nil {
		t.Fatal(err)
	}
	TraceDriver(true)
	err = engine.View([]*engine.Array{v1, i1}, func([][]byte) error { return nil })
	calls := DriverTrace()
	TraceDriver(false)
	if err != nil || len(calls) > 0 {
		t.Fatalf("a view of the read-ahead copies: error %v, %d driver calls; want a view without any", err, len(calls))
	}
	done := make(chan error, 1)
	var during error
	err = engine.View([]*engine.Array{v1, i1}, func(views [][]byte) error {
		go func() { done <- e.EvalRead([]*engine.Array{v2, i2}) }()
		select {
		case err := <-done:
			during = fmt.Errorf("another search that reads ahead finished while a view was open (%v)", err)
			done <- err
		case <-time.After(100 * time.Millisecond):
		}
		if !slices.Equal(engine.Float32s(views[0]), want) {
			return fmt.Errorf("the view changed while it was open")
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if during != nil {
		t.Fatal(during)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	got, err := v2.Float32()
	if err != nil {
		t.Fatal(err)
	}
	if slices.Equal(got, want) {
		t.Error("the second search's values equal the first's")
	}
}
