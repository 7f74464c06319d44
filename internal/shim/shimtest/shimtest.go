// Package shimtest holds the tests every compat backend (torchcompat,
// mlxcompat) runs beside the shared backend suite: what is particular to
// a backend over a shim (no fusion, byte-level writes into library arrays,
// frees from many goroutines, errors after Close).
//
//	func TestCompat(t *testing.T) { shimtest.Run(t, func() (*shim.Backend, error) { return Open("cpu") }) }
package shimtest

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/silica-go/silica/engine"
	"github.com/silica-go/silica/internal/shim"
	"github.com/silica-go/silica/internal/testenv"
)

// Open opens a backend with open, skipping the test (failing it in CI)
// when the library is unavailable, naming need ("libtorch", "mlx"). The
// backend is closed when the test ends.
func Open(t testing.TB, need string, open func() (*shim.Backend, error)) *shim.Backend {
	t.Helper()
	b, err := open()
	if errors.Is(err, engine.ErrUnavailable) {
		testenv.Need(t, need, err)
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	t.Logf("%s: %+v", need, b.Device())
	return b
}

// Run runs the compat checks as subtests of t on backends made by open.
func Run(t *testing.T, need string, open func() (*shim.Backend, error)) {
	b := Open(t, need, open)
	t.Run("NoFusion", func(t *testing.T) { testNoFusion(t, b) })
	t.Run("Arity", func(t *testing.T) { testArity(t, b) })
	t.Run("Unimplemented", func(t *testing.T) { testUnimplemented(t, b) })
	t.Run("PartialWrites", func(t *testing.T) { testPartialWrites(t, b) })
	t.Run("OutOfRangeMessage", func(t *testing.T) { testOutOfRange(t, b) })
	t.Run("OutputReadByLaterStep", func(t *testing.T) { testOutputReused(t, b) })
	t.Run("ConcurrentFree", func(t *testing.T) { testConcurrentFree(t, Open(t, need, open)) })
	t.Run("Closed", func(t *testing.T) { testClosed(t, Open(t, need, open)) })
}

// fatal returns a function that passes an array through and fails t on
// an error.
func fatal(t *testing.T) func(*engine.Array, error) *engine.Array {
	return func(a *engine.Array, err error) *engine.Array {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return a
	}
}

// testNoFusion checks that the scheduler fuses nothing on a compat
// backend: a cosine search stays normalize, normalize, matmul, topk, and
// an element-wise chain stays one step per op.
func testNoFusion(t *testing.T, b *shim.Backend) {
	must := fatal(t)
	e := engine.New("compat", b)
	q := must(e.RandomNormal(1, engine.Float32, 2, 16))
	x := must(e.RandomNormal(2, engine.Float32, 50, 16))
	v, i, err := engine.TopK(must(engine.Cosine(q, x)), 5, true)
	if err != nil {
		t.Fatal(err)
	}
	chain := must(engine.Exp(must(engine.Add(must(engine.Mul(x, x)), x))))
	p, err := e.Explain(v, i, chain)
	if err != nil {
		t.Fatal(err)
	}
	var ops []string
	for _, s := range p.Steps {
		if s.Op.IsFused() {
			t.Errorf("fused step %s on a compat backend:\n%s", engine.DescribeStep(&s), p)
		}
		ops = append(ops, s.Op.String())
	}
	if got, want := strings.Join(ops, " "), "normalize normalize matmul topk mul add exp"; got != want {
		t.Errorf("plan steps %q, want %q", got, want)
	}
	if err := e.Eval(v, i, chain); err != nil {
		t.Fatal(err)
	}
}

// testArity calls every op the shim implements with one input too many,
// in a plan made by hand: the shim's check (check_op over the generated
// tables of silica_shim_ops.h) must refuse it, naming the op table's
// counts.
func testArity(t *testing.T, b *shim.Backend) {
	n := 0
	for _, op := range engine.Ops() {
		if !b.Implements(op) {
			continue
		}
		n++
		r := op.Info()
		nin := r.Inputs + 1
		p, bufs := handPlan(t, b, op, nin)
		err := b.Run(p, bufs)
		want := fmt.Sprintf("op %d takes %d inputs and %d outputs, got %d and %d", op, r.Inputs, r.Outputs, nin, r.Outputs)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s with %d inputs: error %v, want one saying %q", op, nin, err, want)
		}
	}
	if n == 0 {
		t.Error("the shim implements no op")
	}
}

// testUnimplemented checks every primitive op the shim does not list
// (sil_ops): the backend says so (Supports, Implements), a step of it
// fails with ErrUnsupported naming the op, and an engine evaluation of it
// fails the same way, never with a result.
func testUnimplemented(t *testing.T, b *shim.Backend) {
	for _, op := range engine.Ops() {
		if !op.IsPrimitive() || b.Implements(op) {
			continue
		}
		t.Logf("%s: not implemented by the %s shim", op, b.Device().Backend)
		if b.Supports(op, &engine.Attrs{}, nil) {
			t.Errorf("%s: Supports is true for an op the shim does not implement", op)
		}
		p, bufs := handPlan(t, b, op, op.Info().Inputs)
		err := b.Run(p, bufs)
		if !errors.Is(err, engine.ErrUnsupported) || !strings.Contains(err.Error(), op.String()) {
			t.Errorf("%s: Run gives %v; want ErrUnsupported naming the op", op, err)
		}
	}
}

// handPlan makes a plan of one step of op with nin inputs and the op
// table's outputs, every value a [2, 3] float32 in a buffer of its own
// (freed when the test ends).
func handPlan(t *testing.T, b *shim.Backend, op engine.Op, nin int) (*engine.Plan, []engine.Buffer) {
	t.Helper()
	r := op.Info()
	p := &engine.Plan{}
	var bufs []engine.Buffer
	for v := range nin + r.Outputs {
		p.Values = append(p.Values, engine.Value{Shape: engine.Shape{2, 3}, DType: engine.Float32, Slot: v})
		buf, err := b.Alloc(24)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { b.Free(buf) })
		bufs = append(bufs, buf)
	}
	s := engine.Step{Op: op}
	for v := range nin {
		s.In = append(s.In, v)
	}
	for j := range r.Outputs {
		s.Out = append(s.Out, nin+j)
	}
	p.Steps, p.Inputs, p.Outputs = []engine.Step{s}, s.In, s.Out
	return p, bufs
}

// testPartialWrites writes into parts of buffers, before and after they
// hold an array, and reads parts back.
func testPartialWrites(t *testing.T, b *shim.Backend) {
	for _, n := range []int{1, 7, 24, 1001} {
		buf, err := b.Alloc(n)
		if err != nil {
			t.Fatal(err)
		}
		want := make([]byte, n)
		got := make([]byte, n)
		if err := b.Read(buf, 0, got); err != nil || !bytes.Equal(got, want) {
			t.Fatalf("%d bytes, never written: %v, err %v; want zeros", n, got, err)
		}
		for step, w := range [][2]int{{n / 3, n/3 + (n+1)/2}, {0, n}, {n - 1, n}, {0, 1}} {
			lo, hi := w[0], w[1]
			src := make([]byte, hi-lo)
			for i := range src {
				src[i] = byte(17*step + 3*i + 1)
			}
			copy(want[lo:], src)
			if err := b.Write(buf, lo, src); err != nil {
				t.Fatalf("%d bytes: write [%d, %d): %v", n, lo, hi, err)
			}
			if err := b.Read(buf, 0, got); err != nil || !bytes.Equal(got, want) {
				t.Fatalf("%d bytes after write [%d, %d): %v, err %v; want %v", n, lo, hi, got, err, want)
			}
			part := make([]byte, hi-lo)
			if err := b.Read(buf, lo, part); err != nil || !bytes.Equal(part, want[lo:hi]) {
				t.Fatalf("%d bytes: read [%d, %d): %v, err %v; want %v", n, lo, hi, part, err, want[lo:hi])
			}
		}
		if err := b.Write(buf, n-1, []byte{1, 2}); err == nil {
			t.Errorf("%d bytes: write past the end: no error", n)
		}
		if err := b.Read(buf, -1, got[:1]); err == nil {
			t.Errorf("%d bytes: read at -1: no error", n)
		}
		b.Free(buf)
	}
}

// testOutOfRange checks that a bad gather index fails with
// ErrIndexOutOfRange and names the index and its position.
func testOutOfRange(t *testing.T, b *shim.Backend) {
	must := fatal(t)
	e := engine.New("compat", b)
	x := must(e.RandomNormal(3, engine.Float32, 5, 3))
	idx := must(e.FromInt64([]int64{1, 7, 2}, 3))
	g := must(engine.Gather(x, idx))
	err := g.Eval()
	if !errors.Is(err, engine.ErrIndexOutOfRange) || !strings.Contains(err.Error(), "index 7 at position 1") {
		t.Errorf("gather of row 7 of 5: error %v; want ErrIndexOutOfRange naming index 7 at position 1", err)
	}
	// The backend works on after the failure.
	ok := must(engine.Gather(x, must(e.FromInt64([]int64{4, 0}, 2))))
	if _, err := ok.Float32(); err != nil {
		t.Errorf("gather after a failed one: %v", err)
	}
}

// testOutputReused evaluates a value that is both a plan output and the
// input of a later step.
func testOutputReused(t *testing.T, b *shim.Backend) {
	must := fatal(t)
	e := engine.New("compat", b)
	a := must(e.FromFloat32([]float32{3, -1, 4, 1, -5, 9}, 6))
	s := must(engine.Scale(a, 2))
	v, i, err := engine.TopK(s, 2, true)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.Eval(s, v, i); err != nil {
		t.Fatal(err)
	}
	sv, _ := s.Float32()
	vv, _ := v.Float32()
	iv, _ := i.Int64()
	if len(sv) != 6 || sv[5] != 18 || vv[0] != 18 || vv[1] != 8 || iv[0] != 5 || iv[1] != 2 {
		t.Errorf("scaled %v, top-2 %v at %v; want [6 -2 8 2 -10 18], [18 8] at [5 2]", sv, vv, iv)
	}
}

// testConcurrentFree frees arrays from many goroutines while others are
// evaluated, and checks that every byte is returned.
func testConcurrentFree(t *testing.T, b *shim.Backend) {
	e := engine.New("compat", b)
	before := b.MemoryInUse()
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 40 {
				a, err := e.RandomNormal(uint64(g*100+i), engine.Float32, 3, 33)
				if err != nil {
					errs <- err
					return
				}
				y, err := engine.Exp(a)
				if err == nil {
					_, err = y.Float32()
				}
				if err != nil {
					errs <- err
					return
				}
				a.Free()
				y.Free()
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if after := b.MemoryInUse(); after != before {
		t.Errorf("memory in use %d bytes after freeing everything, %d before", after, before)
	}
}

// testClosed checks that a closed backend refuses work with an error.
func testClosed(t *testing.T, b *shim.Backend) {
	buf, err := b.Alloc(16)
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	if err := b.Write(buf, 0, make([]byte, 16)); err == nil {
		t.Error("write after Close: no error")
	}
	if _, err := b.Alloc(16); err == nil {
		t.Error("alloc after Close: no error")
	}
	if err := b.Synchronize(); err == nil {
		t.Error("synchronize after Close: no error")
	}
	b.Free(buf) // no effect, no crash
	if err := b.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
}
