package engine

import (
	"fmt"
	"strconv"
	"strings"
)

// MaxRank is the largest number of dimensions an array may have.
const MaxRank = 4

// Shape lists an array's dimensions, outermost first, in C (row-major)
// order.
type Shape []int

// Size returns the number of elements (1 for a rank-0 shape).
func (s Shape) Size() int {
	n := 1
	for _, d := range s {
		n *= d
	}
	return n
}

// String prints s as [a b c].
func (s Shape) String() string {
	parts := make([]string, len(s))
	for i, d := range s {
		parts[i] = strconv.Itoa(d)
	}
	return "[" + strings.Join(parts, " ") + "]"
}

// Equal reports whether two shapes are the same.
func (s Shape) Equal(t Shape) bool {
	if len(s) != len(t) {
		return false
	}
	for i := range s {
		if s[i] != t[i] {
			return false
		}
	}
	return true
}

// Clone returns a copy of s.
func (s Shape) Clone() Shape { return append(Shape(nil), s...) }

func checkShape(op string, shape []int) error {
	if len(shape) > MaxRank {
		return fmt.Errorf("engine: %s: shape %v has rank %d, more than %d", op, Shape(shape), len(shape), MaxRank)
	}
	for _, d := range shape {
		if d <= 0 {
			return fmt.Errorf("engine: %s: shape %v has an empty or negative dimension (arrays hold at least one element)", op, Shape(shape))
		}
	}
	return nil
}

// Broadcast returns the NumPy broadcast of the shapes: aligned on their
// last dimension, each pair of dimensions equal or one of them 1.
func Broadcast(shapes ...Shape) (Shape, error) {
	rank := 0
	for _, s := range shapes {
		rank = max(rank, len(s))
	}
	out := make(Shape, rank)
	for i := range out {
		out[i] = 1
	}
	for _, s := range shapes {
		off := rank - len(s)
		for i, d := range s {
			switch {
			case out[off+i] == d || d == 1:
			case out[off+i] == 1:
				out[off+i] = d
			default:
				strs := make([]string, len(shapes))
				for j, t := range shapes {
					strs[j] = t.String()
				}
				return nil, fmt.Errorf("shapes %s do not broadcast (dimension %d: %d vs %d)",
					strings.Join(strs, ", "), i-len(s), out[off+i], d)
			}
		}
	}
	return out, nil
}

// BroadcastStrides returns, for an input of shape in broadcast to out, the
// element stride of each of out's dimensions in the input (0 along
// broadcast dimensions), padded on the left to MaxRank entries; outDims is
// out padded on the left with ones to MaxRank. A kernel computes the input
// offset of output element (i0, i1, i2, i3) as the sum of i_j*strides[j].
func BroadcastStrides(in, out Shape) (strides, outDims [MaxRank]int) {
	off := MaxRank - len(out)
	for j := range outDims {
		outDims[j] = 1
	}
	copy(outDims[off:], out)
	inOff := len(out) - len(in)
	stride := 1
	for j := len(out) - 1; j >= 0; j-- {
		k := j - inOff
		if k < 0 {
			break
		}
		if in[k] != 1 {
			strides[off+j] = stride
		}
		stride *= in[k]
	}
	return strides, outDims
}

// AxisView returns how a reduction along axis sees the shape s: outer
// independent blocks, each of length elements along the axis, each
// element inner apart (the product of the dimensions after the axis).
// Element l of output (o, i) is at (o*length + l)*inner + i.
func AxisView(s Shape, axis int) (outer, length, inner int) {
	outer, length, inner = 1, s[axis], 1
	for _, d := range s[:axis] {
		outer *= d
	}
	for _, d := range s[axis+1:] {
		inner *= d
	}
	return outer, length, inner
}
