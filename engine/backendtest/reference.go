package backendtest

import (
	"math"
	"sort"

	"github.com/silica-go/silica/engine"
)

// The float64 references. They are written for clarity, not speed, and
// share nothing with any backend.

// tensor is a float64 array with its shape.
type tensor struct {
	shape engine.Shape
	v     []float64
}

func (t tensor) at(idx []int) float64 {
	off := 0
	for i, d := range t.shape {
		off = off*d + idx[i]
	}
	return t.v[off]
}

// broadcastRef applies f element-wise over inputs broadcast to out.
func broadcastRef(out engine.Shape, f func([]float64) float64, in ...tensor) []float64 {
	res := make([]float64, out.Size())
	idx := make([]int, len(out))
	args := make([]float64, len(in))
	for o := range res {
		rem := o
		for d := len(out) - 1; d >= 0; d-- {
			idx[d] = rem % out[d]
			rem /= out[d]
		}
		for j, t := range in {
			sub := make([]int, len(t.shape))
			for d := range t.shape {
				i := idx[len(out)-len(t.shape)+d]
				if t.shape[d] == 1 {
					i = 0
				}
				sub[d] = i
			}
			args[j] = t.at(sub)
		}
		res[o] = f(args)
	}
	return res
}

// fmaRef is a*b + c.
func fmaRef(a []float64) float64 { return a[0]*a[1] + a[2] }

// reduceRef reduces along axis.
func reduceRef(op engine.Op, x tensor, axis int) []float64 {
	outer, n, inner := 1, x.shape[axis], 1
	for _, d := range x.shape[:axis] {
		outer *= d
	}
	for _, d := range x.shape[axis+1:] {
		inner *= d
	}
	res := make([]float64, outer*inner)
	for o := range outer {
		for i := range inner {
			acc := 0.0
			if op == engine.OpReduceMax {
				acc = math.Inf(-1)
			}
			for l := range n {
				v := x.v[(o*n+l)*inner+i]
				switch op {
				case engine.OpSum:
					acc += v
				case engine.OpNorm:
					acc += v * v
				case engine.OpReduceMax:
					acc = math.Max(acc, v)
				}
			}
			if op == engine.OpNorm {
				acc = math.Sqrt(acc)
			}
			res[o*inner+i] = acc
		}
	}
	return res
}

// normalizeRef divides each row of length d by max(norm, 1e-12).
func normalizeRef(x []float64, d int) []float64 {
	res := make([]float64, len(x))
	for r := 0; r < len(x)/d; r++ {
		ss := 0.0
		for _, v := range x[r*d : (r+1)*d] {
			ss += v * v
		}
		inv := 1 / math.Max(math.Sqrt(ss), 1e-12)
		for j := range d {
			res[r*d+j] = x[r*d+j] * inv
		}
	}
	return res
}

// rows returns x [r, c] (or its transpose) as a slice of rows.
func rows(x []float64, r, c int, trans bool) [][]float64 {
	if !trans {
		out := make([][]float64, r)
		for i := range out {
			out[i] = x[i*c : (i+1)*c]
		}
		return out
	}
	out := make([][]float64, c)
	for i := range out {
		out[i] = make([]float64, r)
		for j := range r {
			out[i][j] = x[j*c+i]
		}
	}
	return out
}

// pairRef computes f over every pair of rows of a and b: [len(a), len(b)].
func pairRef(a, b [][]float64, f func(x, y []float64) float64) []float64 {
	res := make([]float64, len(a)*len(b))
	for i := range a {
		for j := range b {
			res[i*len(b)+j] = f(a[i], b[j])
		}
	}
	return res
}

func dot64(x, y []float64) float64 {
	s := 0.0
	for i := range x {
		s += x[i] * y[i]
	}
	return s
}

func sqdist64(x, y []float64) float64 {
	s := 0.0
	for i := range x {
		d := x[i] - y[i]
		s += d * d
	}
	return s
}

// topkRef returns the indices of the k best entries of one row, best first,
// ties to the smaller index, NaN last.
func topkRef(row []float64, k int, largest bool) []int {
	idx := make([]int, len(row))
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(a, b int) bool {
		x, y := row[idx[a]], row[idx[b]]
		switch {
		case math.IsNaN(x):
			return false
		case math.IsNaN(y):
			return true
		case largest:
			return x > y
		}
		return x < y
	})
	return idx[:min(k, len(row))]
}
