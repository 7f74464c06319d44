package main

import (
	"fmt"
	"math/rand/v2"

	"github.com/silica-go/silica/engine"
	"github.com/silica-go/silica/internal/par"
)

// tensor is an array on the host: an input embench made, or an output
// brought back from a backend or a peer. Exactly one of F32 and I64 is
// set.
type tensor struct {
	Name  string
	Shape []int
	F32   []float32
	I64   []int64
}

func (t *tensor) rows() int { return t.Shape[0] }

// cols returns the length of a row (1 for a vector).
func (t *tensor) cols() int {
	if len(t.Shape) < 2 {
		return 1
	}
	return t.Shape[1]
}

func (t *tensor) size() int { return engine.Shape(t.Shape).Size() }

func (t *tensor) String() string {
	kind := "float32"
	if t.I64 != nil {
		kind = "int64"
	}
	return fmt.Sprintf("%s %v", kind, t.Shape)
}

// upload copies t to e as dtype dt (float inputs) or Int64 (indices).
func (t *tensor) upload(e *engine.Engine, dt engine.DType) (*engine.Array, error) {
	if t.I64 != nil {
		return e.FromInt64(t.I64, t.Shape...)
	}
	return e.FromFloat32As(t.F32, dt, t.Shape...)
}

// download evaluates a and brings it to the host.
func download(a *engine.Array) (tensor, error) {
	t := tensor{Shape: a.Shape()}
	var err error
	if a.DType().IsIndex() {
		t.I64, err = a.Int64()
	} else {
		t.F32, err = a.Float32()
	}
	return t, err
}

// chunk is the number of values each random stream fills, so that the
// values do not depend on the number of cores.
const chunk = 1 << 16

// randomNormal returns shape's worth of standard normal samples for seed:
// the same values on every machine, made by all cores.
func randomNormal(name string, seed uint64, shape ...int) tensor {
	n := engine.Shape(shape).Size()
	out := make([]float32, n)
	parallelChunks(n, func(c, lo, hi int) {
		r := rand.New(rand.NewPCG(seed, uint64(c)))
		for i := lo; i < hi; i++ {
			v := float32(r.NormFloat64())
			for v == 0 { // never a zero: a kernel that writes nothing must show
				v = float32(r.NormFloat64())
			}
			out[i] = v
		}
	})
	return tensor{Name: name, Shape: shape, F32: out}
}

// randomIndices returns n indices uniform in [0, bound) for seed.
func randomIndices(name string, seed uint64, n, bound int) tensor {
	r := rand.New(rand.NewPCG(seed, 0x1d))
	out := make([]int64, n)
	for i := range out {
		out[i] = r.Int64N(int64(bound))
	}
	return tensor{Name: name, Shape: []int{n}, I64: out}
}

// parallelChunks calls f for each chunk [lo, hi) of [0, n), on all cores.
func parallelChunks(n int, f func(c, lo, hi int)) {
	par.Chunks(n, chunk, func(lo, hi int) { f(lo/chunk, lo, hi) })
}

// rounded returns x as stored in dtype dt and read back (float32 is x).
func rounded(x []float32, dt engine.DType) []float32 {
	if dt == engine.Float32 {
		return x
	}
	raw, err := engine.EncodeFloat32(dt, x)
	if err != nil {
		panic(err) // dt is a float dtype, checked by parseFlags
	}
	return engine.DecodeFloat32(dt, raw)
}
