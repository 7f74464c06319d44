package backendtest

import (
	"testing"

	"github.com/silica-go/silica/engine"
)

// testCopyRows fills an Empty array by CopyRows from an evaluated and a
// lazy source, reads a Head view of it, scans the view (a kernel reading
// a buffer larger than its value), frees parent and view in both orders,
// and checks the errors.
func testCopyRows(t *testing.T, s *suite) {
	const nrows, d = 53, 19
	for _, dt := range []engine.DType{engine.Float32, engine.Float16, engine.Int8} {
		dst := s.ok(s.e.Empty(dt, nrows, d))
		want := make([]float64, 0, nrows*d)
		var srcs []*engine.Array
		for _, n := range []int{1, 17, 13} { // rows 0, 1..17, 18..30
			if dt == engine.Int8 {
				f, _ := s.random(t, engine.Float32, engine.Shape{n, d}, uniform(-100, 100))
				q, _ := s.ok2(engine.Quantize(f))
				v := values(t, q)
				want = append(want, v...)
				srcs = append(srcs, q)
				continue
			}
			a, x := s.random(t, dt, engine.Shape{n, d}, normal)
			src := a
			if n == 13 {
				// A lazy source: CopyRows evaluates it.
				src = s.ok(engine.Neg(a))
				for i := range x.v {
					x.v[i] = -x.v[i]
				}
			}
			want = append(want, x.v...)
			srcs = append(srcs, src)
		}
		at := 0
		for _, src := range srcs {
			if err := engine.CopyRows(dst, at, src); err != nil {
				t.Fatalf("%s: copy rows at %d: %v", dt, at, err)
			}
			at += src.Shape()[0]
		}
		head := s.ok(dst.Head(at))
		expect(t, name("head of copied rows ", dt), head, engine.Shape{at, d}, want, 0)
		if dt == engine.Float32 {
			q, y := s.random(t, dt, engine.Shape{3, d}, normal)
			ref := pairRef(rows(y.v, 3, d, false), rows(want, at, d, false), dot64)
			expect(t, "matmul over a head view", s.ok(engine.MatMul(q, head, false, true)), engine.Shape{3, at}, ref, TolFloat32)
		}
		// Free the parent first: the view keeps the buffer.
		dst.Free()
		expect(t, name("head after its parent was freed ", dt), head, engine.Shape{at, d}, want, 0)
		short := s.ok(head.Head(5))
		head.Free()
		expect(t, name("head of a head ", dt), short, engine.Shape{5, d}, want[:5*d], 0)
		short.Free()
	}
	dst := s.ok(s.e.Empty(engine.Float32, 4, 3))
	src, _ := s.random(t, engine.Float32, engine.Shape{2, 3}, normal)
	f16, _ := s.random(t, engine.Float16, engine.Shape{2, 3}, normal)
	wide, _ := s.random(t, engine.Float32, engine.Shape{2, 4}, normal)
	for what, err := range map[string]error{
		"past the end":   engine.CopyRows(dst, 3, src),
		"negative row":   engine.CopyRows(dst, -1, src),
		"other dtype":    engine.CopyRows(dst, 0, f16),
		"other row size": engine.CopyRows(dst, 0, wide),
		"into itself":    engine.CopyRows(dst, 0, s.ok(dst.Head(2))),
	} {
		if err == nil {
			t.Errorf("copy rows %s: no error", what)
		}
	}
	for _, n := range []int{0, 5} {
		if _, err := dst.Head(n); err == nil {
			t.Errorf("head %d of [4 3]: no error", n)
		}
	}
	if _, err := s.ok(engine.Neg(src)).Head(1); err == nil {
		t.Error("head of a lazy array: no error")
	}
	if _, err := s.e.Empty(engine.Float32, 0, 3); err == nil {
		t.Error("empty [0 3]: no error")
	}
}

// ok2 fails the test on a build error of a two-output op.
func (s *suite) ok2(a, b *engine.Array, err error) (*engine.Array, *engine.Array) {
	s.t.Helper()
	if err != nil {
		s.t.Fatal(err)
	}
	return a, b
}
