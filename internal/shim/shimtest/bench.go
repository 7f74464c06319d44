package shimtest

import (
	"testing"

	"github.com/silica-go/silica/engine"
	"github.com/silica-go/silica/internal/shim"
)

// The benchmarks time one engine evaluation on a compat backend, the
// device synchronized at its end, inputs already on the device and
// results left there, after warm-up runs (the first run of a GPU library
// loads kernels and creates handles): the same work as the peer scripts
// (for example torchcompat/testdata/peer.py) time in the library's own
// language, so that the ratio of the two is the cost of calling it from
// Go.

// warmUps is the number of untimed runs before a benchmark's loop.
const warmUps = 5

// BenchCosine times the cosine similarity of m queries with n rows of
// d floats, both normalized on the fly.
func BenchCosine(b *testing.B, be *shim.Backend, m, n, d int) {
	e := engine.New("bench", be)
	q := ready(b, e, 1, m, d)
	x := ready(b, e, 2, n, d)
	loop(b, func() error {
		s, err := engine.Cosine(q, x)
		if err == nil {
			err = s.Eval()
			s.Free()
		}
		return err
	})
}

// loop runs f warmUps times, then times it.
func loop(b *testing.B, f func() error) {
	for range warmUps {
		if err := f(); err != nil {
			b.Fatal(err)
		}
	}
	for b.Loop() {
		if err := f(); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchMatMul times an n x n x n float32 matrix product.
func BenchMatMul(b *testing.B, be *shim.Backend, n int) {
	e := engine.New("bench", be)
	x := ready(b, e, 1, n, n)
	y := ready(b, e, 2, n, n)
	loop(b, func() error {
		s, err := engine.MatMul(x, y, false, false)
		if err == nil {
			err = s.Eval()
			s.Free()
		}
		return err
	})
}

// BenchSearch times a top-k cosine search of one query over n rows of d
// floats stored normalized (the store's layout): the product, then top-k.
func BenchSearch(b *testing.B, be *shim.Backend, n, d, k int) {
	e := engine.New("bench", be)
	q := ready(b, e, 1, 1, d)
	x, err := engine.Normalize(ready(b, e, 2, n, d))
	if err == nil {
		err = x.Eval()
	}
	if err != nil {
		b.Fatal(err)
	}
	loop(b, func() error {
		nq, err := engine.Normalize(q)
		if err != nil {
			return err
		}
		s, err := engine.MatMul(nq, x, false, true)
		if err != nil {
			return err
		}
		v, i, err := engine.TopK(s, k, true)
		if err != nil {
			return err
		}
		err = e.Eval(v, i)
		v.Free()
		i.Free()
		return err
	})
}

// ready returns an evaluated random normal float32 matrix.
func ready(b *testing.B, e *engine.Engine, seed uint64, rows, cols int) *engine.Array {
	b.Helper()
	a, err := e.RandomNormal(seed, engine.Float32, rows, cols)
	if err != nil {
		b.Fatal(err)
	}
	return a
}
