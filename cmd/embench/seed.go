package main

import (
	"fmt"
	"math"

	"github.com/silica-go/silica/engine"
)

// The seed's table: one group per operation, float32, at the seed's sizes
// (or small ones with --quick).

// seedOp is one operation of the seed's table.
type seedOp struct {
	name string
	// make returns the host inputs and the size label for quick or full
	// sizes.
	make func(quick bool, seed uint64) (inputs []*tensor, size string)
	// prepare sets the operation up on e over its uploaded inputs and
	// returns the graph of one repetition.
	prepare func(e *engine.Engine, in []*engine.Array) (build func(rep int) ([]*engine.Array, error), err error)
	// truth checks the reference's outputs against float64 arithmetic on
	// the inputs; compare checks a backend's outputs against the
	// reference's.
	truth   func(in []*tensor, ref []tensor) error
	compare func(in []*tensor, got, ref []tensor) error
	// peerParams are the parameters peers.py needs beyond the inputs.
	peerParams func(in []*tensor) map[string]any
}

var seedNames = []string{"matmul", "cosine", "cosine_prenorm", "normalize", "fma", "gather", "slice"}

var seedScenarios = []seedOp{
	{
		name: "matmul",
		make: func(quick bool, seed uint64) ([]*tensor, string) {
			n := pick(quick, 128, 1024)
			a, b := randomNormal("a", seed, n, n), randomNormal("b", seed+1, n, n)
			return []*tensor{&a, &b}, fmt.Sprintf("%dx%dx%d", n, n, n)
		},
		prepare: func(_ *engine.Engine, in []*engine.Array) (func(int) ([]*engine.Array, error), error) {
			return single(func() (*engine.Array, error) { return engine.MatMul(in[0], in[1], false, false) }), nil
		},
		truth: func(in []*tensor, ref []tensor) error {
			a, b := in[0], in[1]
			n := a.cols()
			rows := sampleRows(a.rows(), 8)
			got := make([]float32, 0, len(rows)*b.cols())
			want := make([]float32, 0, len(rows)*b.cols())
			col := make([]float32, n)
			for _, i := range rows {
				for j := range b.cols() {
					for k := range n {
						col[k] = b.F32[k*b.cols()+j]
					}
					want = append(want, float32(dot64(a.F32[i*n:(i+1)*n], col)))
					got = append(got, ref[0].F32[i*b.cols()+j])
				}
			}
			return closeTo(got, want, []int{len(rows), b.cols()}, matmulTol(in, rows))
		},
		compare: func(in []*tensor, got, ref []tensor) error {
			return closeTo(got[0].F32, ref[0].F32, ref[0].Shape, matmulTol(in, nil))
		},
	},
	{
		name:    "cosine",
		make:    cosineInputs,
		prepare: cosinePrepare(false),
		truth:   cosineTruth,
		compare: cosineCompare,
	},
	{
		name:       "cosine_prenorm",
		make:       cosineInputs,
		prepare:    cosinePrepare(true),
		truth:      cosineTruth,
		compare:    cosineCompare,
		peerParams: func([]*tensor) map[string]any { return map[string]any{"prenormalize": true} },
	},
	{
		name: "normalize",
		make: func(quick bool, seed uint64) ([]*tensor, string) {
			n := pick(quick, 2000, 100_000)
			x := randomNormal("x", seed, n, 384)
			return []*tensor{&x}, fmt.Sprintf("%dx384", n)
		},
		prepare: func(_ *engine.Engine, in []*engine.Array) (func(int) ([]*engine.Array, error), error) {
			return single(func() (*engine.Array, error) { return engine.Normalize(in[0]) }), nil
		},
		truth: func(in []*tensor, ref []tensor) error {
			x := in[0]
			norms := rowNorms(x.F32, x.cols())
			want := make([]float32, len(x.F32))
			for i, v := range x.F32 {
				want[i] = float32(float64(v) / max(norms[i/x.cols()], 1e-12))
			}
			return closeTo(ref[0].F32, want, x.Shape, func(int) float64 { return tolNormalize })
		},
		compare: func(in []*tensor, got, ref []tensor) error {
			return closeTo(got[0].F32, ref[0].F32, ref[0].Shape, func(int) float64 { return tolNormalize })
		},
	},
	{
		name: "fma",
		make: func(quick bool, seed uint64) ([]*tensor, string) {
			n := pick(quick, 100_000, 10_000_000)
			a, b, c := randomNormal("a", seed, n), randomNormal("b", seed+1, n), randomNormal("c", seed+2, n)
			return []*tensor{&a, &b, &c}, fmt.Sprint(n)
		},
		prepare: func(_ *engine.Engine, in []*engine.Array) (func(int) ([]*engine.Array, error), error) {
			return single(func() (*engine.Array, error) {
				ab, err := engine.Mul(in[0], in[1])
				if err != nil {
					return nil, err
				}
				return engine.Add(ab, in[2])
			}), nil
		},
		truth: func(in []*tensor, ref []tensor) error {
			a, b, c := in[0].F32, in[1].F32, in[2].F32
			want := make([]float32, len(a))
			for i := range want {
				want[i] = float32(float64(a[i])*float64(b[i]) + float64(c[i]))
			}
			return closeTo(ref[0].F32, want, in[0].Shape, fmaTol(in))
		},
		compare: func(in []*tensor, got, ref []tensor) error {
			return closeTo(got[0].F32, ref[0].F32, ref[0].Shape, fmaTol(in))
		},
	},
	{
		name: "gather",
		make: func(quick bool, seed uint64) ([]*tensor, string) {
			n, r := pick(quick, 5000, 100_000), pick(quick, 500, 10_000)
			x, idx := randomNormal("x", seed, n, 384), randomIndices("idx", seed+1, r, n)
			return []*tensor{&x, &idx}, fmt.Sprintf("%d rows of %dx384", r, n)
		},
		prepare: func(_ *engine.Engine, in []*engine.Array) (func(int) ([]*engine.Array, error), error) {
			return single(func() (*engine.Array, error) { return engine.Gather(in[0], in[1]) }), nil
		},
		truth: func(in []*tensor, ref []tensor) error {
			x, idx := in[0], in[1]
			want := make([]float32, 0, len(idx.I64)*x.cols())
			for _, i := range idx.I64 {
				want = append(want, x.F32[int(i)*x.cols():(int(i)+1)*x.cols()]...)
			}
			return equalTo(ref[0].F32, want, ref[0].Shape)
		},
		compare: exactCompare,
	},
	{
		name: "slice",
		make: func(quick bool, seed uint64) ([]*tensor, string) {
			n, r := pick(quick, 5000, 100_000), pick(quick, 500, 10_000)
			x := randomNormal("x", seed, n, 384)
			return []*tensor{&x}, fmt.Sprintf("%d rows of %dx384", r, n)
		},
		prepare: func(_ *engine.Engine, in []*engine.Array) (func(int) ([]*engine.Array, error), error) {
			start, end := sliceRows(in[0].Shape()[0])
			return single(func() (*engine.Array, error) { return engine.SliceRows(in[0], start, end) }), nil
		},
		truth: func(in []*tensor, ref []tensor) error {
			x := in[0]
			start, end := sliceRows(x.rows())
			return equalTo(ref[0].F32, x.F32[start*x.cols():end*x.cols()], ref[0].Shape)
		},
		compare: exactCompare,
		peerParams: func(in []*tensor) map[string]any {
			start, end := sliceRows(in[0].rows())
			return map[string]any{"start": start, "end": end}
		},
	},
}

// sliceRows returns the rows the slice scenario copies out of n: a tenth
// of them, starting a third of the way in.
func sliceRows(n int) (start, end int) {
	start = n / 3
	return start, start + n/10
}

func pick(quick bool, small, full int) int {
	if quick {
		return small
	}
	return full
}

// single turns a one-output graph into a case's build function.
func single(f func() (*engine.Array, error)) func(int) ([]*engine.Array, error) {
	return func(int) ([]*engine.Array, error) {
		a, err := f()
		if err != nil {
			return nil, err
		}
		return []*engine.Array{a}, nil
	}
}

// sampleRows returns n rows spread over [0, rows), first and last included.
func sampleRows(rows, n int) []int {
	if rows <= n {
		out := make([]int, rows)
		for i := range out {
			out[i] = i
		}
		return out
	}
	out := make([]int, n)
	for i := range out {
		out[i] = i * (rows - 1) / (n - 1)
	}
	return out
}

// matmulTol is tolDot times |a_i|·|b_:j| for element (i, j) of a·b (rows,
// if set, lists the rows of a that the elements come from).
func matmulTol(in []*tensor, rows []int) func(int) float64 {
	a, b := in[0], in[1]
	an := rowNorms(a.F32, a.cols())
	bn := make([]float64, b.cols())
	for k := range b.rows() {
		for j := range b.cols() {
			v := float64(b.F32[k*b.cols()+j])
			bn[j] += v * v
		}
	}
	return func(i int) float64 {
		r, c := i/b.cols(), i%b.cols()
		if rows != nil {
			r = rows[r]
		}
		return tolDot * an[r] * math.Sqrt(bn[c])
	}
}

func fmaTol(in []*tensor) func(int) float64 {
	a, b, c := in[0].F32, in[1].F32, in[2].F32
	return func(i int) float64 {
		return tolFMA * (math.Abs(float64(a[i])*float64(b[i])) + math.Abs(float64(c[i])))
	}
}

func exactCompare(_ []*tensor, got, ref []tensor) error {
	return equalTo(got[0].F32, ref[0].F32, ref[0].Shape)
}

func cosineInputs(quick bool, seed uint64) ([]*tensor, string) {
	n := pick(quick, 1000, 10_000)
	q, x := randomNormal("q", seed, 1, 768), randomNormal("x", seed+1, n, 768)
	return []*tensor{&q, &x}, fmt.Sprintf("%dx768", n)
}

// cosinePrepare makes the cosine cases: Cosine(q, x), or with prenorm the
// matrix normalized once before timing and only the query in the graph.
func cosinePrepare(prenorm bool) func(*engine.Engine, []*engine.Array) (func(int) ([]*engine.Array, error), error) {
	return func(e *engine.Engine, in []*engine.Array) (func(int) ([]*engine.Array, error), error) {
		q, x := in[0], in[1]
		if !prenorm {
			return single(func() (*engine.Array, error) { return engine.Cosine(q, x) }), nil
		}
		xn, err := engine.Normalize(x)
		if err != nil {
			return nil, err
		}
		if err := xn.Eval(); err != nil {
			return nil, err
		}
		return single(func() (*engine.Array, error) {
			qn, err := engine.Normalize(q)
			if err != nil {
				return nil, err
			}
			return engine.MatMul(qn, xn, false, true)
		}), nil
	}
}

func cosineTruth(in []*tensor, ref []tensor) error {
	q, x := in[0], in[1]
	d := x.cols()
	qn := max(rowNorms(q.F32, d)[0], 1e-12)
	xn := rowNorms(x.F32, d)
	want := make([]float32, x.rows())
	for i := range want {
		want[i] = float32(dot64(q.F32, x.F32[i*d:(i+1)*d]) / qn / max(xn[i], 1e-12))
	}
	return closeTo(ref[0].F32, want, ref[0].Shape, func(int) float64 { return tolDot })
}

func cosineCompare(_ []*tensor, got, ref []tensor) error {
	return closeTo(got[0].F32, ref[0].F32, ref[0].Shape, func(int) float64 { return tolDot })
}

// seedGroup makes the group of one seed operation.
func seedGroup(c *config, s seedOp) *group {
	inputs, size := s.make(c.Quick, c.Seed)
	var ref []tensor
	g := &group{Name: "seed", Inputs: inputs, Peer: "seed", PeerSkip: seedPeerSkip}
	if s.peerParams != nil {
		g.PeerParams = s.peerParams(inputs)
	}
	cs := &caseDef{
		Scenario: s.name, DType: engine.Float32, Size: size,
		PeerOp: s.name, PeerParams: g.PeerParams,
	}
	cs.Prepare = func(e *engine.Engine, _ any) (*prepared, error) {
		arrays, free, err := uploadAll(e, engine.Float32, inputs...)
		if err != nil {
			return nil, err
		}
		build, err := s.prepare(e, arrays)
		if err != nil {
			free()
			return nil, err
		}
		p, err := graphCase(e, build, false, 1, free)
		if err != nil {
			free()
		}
		return p, err
	}
	g.Reference = func(refEngine *engine.Engine) error {
		p, err := cs.Prepare(refEngine, nil)
		if err != nil {
			return err
		}
		defer p.free()
		if ref, err = p.output(); err != nil {
			return err
		}
		return s.truth(inputs, ref)
	}
	cs.Check = func(out []tensor) error {
		if err := checkShapes(out, ref...); err != nil {
			return err
		}
		return s.compare(inputs, out, ref)
	}
	g.Cases = []*caseDef{cs}
	return g
}

// seedPeerSkip: NumPy runs the seed's table; FAISS has no such
// operations; the torch peer runs the store only.
func seedPeerSkip(peer string) string {
	switch peer {
	case "faiss":
		return "FAISS has no general array operations"
	case "torch":
		return "the torch peer runs the store scenario only (the torch adapter's rows run these operations on libtorch)"
	}
	return ""
}
