package engine

import (
	"fmt"
	"math"
)

// Every builder checks its inputs' shapes and dtypes when it is called and
// returns an error naming them; nothing runs until Eval.

func unary(op Op, scalar float32, a *Array) (*Array, error) {
	e, err := sameEngine(op.String(), a)
	if err != nil {
		return nil, err
	}
	if !a.dtype.IsFloat() {
		return nil, fmt.Errorf("engine: %s: input is %s %v; element-wise ops need a float dtype", op, a.dtype, a.shape)
	}
	attrs := Attrs{}
	if op == OpScale {
		attrs.Scalar = scalar
	}
	return e.newLazy(op, attrs, []*Array{a}, []Shape{a.shape}, []DType{a.dtype})[0], nil
}

// Neg returns -a.
func Neg(a *Array) (*Array, error) { return unary(OpNeg, 0, a) }

// Abs returns |a|.
func Abs(a *Array) (*Array, error) { return unary(OpAbs, 0, a) }

// Sqrt returns the square root of each element (NaN below zero).
func Sqrt(a *Array) (*Array, error) { return unary(OpSqrt, 0, a) }

// Rsqrt returns 1/sqrt of each element (+Inf at zero).
func Rsqrt(a *Array) (*Array, error) { return unary(OpRsqrt, 0, a) }

// Exp returns e to the power of each element.
func Exp(a *Array) (*Array, error) { return unary(OpExp, 0, a) }

// Log returns the natural logarithm of each element.
func Log(a *Array) (*Array, error) { return unary(OpLog, 0, a) }

// Erf returns the error function of each element (float in, same dtype
// out; +-1 at +-Inf, NaN for NaN), as math.Erf rounded to the dtype within
// a few ulps: the GELU of an encoder is x/2 * (1 + erf(x/sqrt(2))).
func Erf(a *Array) (*Array, error) { return unary(OpErf, 0, a) }

// Scale returns a*s.
func Scale(a *Array, s float32) (*Array, error) { return unary(OpScale, s, a) }

func elementwise(op Op, in ...*Array) (*Array, error) {
	e, err := sameEngine(op.String(), in...)
	if err != nil {
		return nil, err
	}
	shapes := make([]Shape, len(in))
	for i, a := range in {
		if !a.dtype.IsFloat() {
			return nil, fmt.Errorf("engine: %s: input %d is %s %v; element-wise ops need a float dtype", op, i, a.dtype, a.shape)
		}
		if a.dtype != in[0].dtype {
			return nil, fmt.Errorf("engine: %s: dtypes differ: %s %v and %s %v (Cast one first)", op, in[0].dtype, in[0].shape, a.dtype, a.shape)
		}
		shapes[i] = a.shape
	}
	out, err := Broadcast(shapes...)
	if err != nil {
		return nil, fmt.Errorf("engine: %s: %w", op, err)
	}
	return e.newLazy(op, Attrs{}, in, []Shape{out}, []DType{in[0].dtype})[0], nil
}

// Add returns a+b, broadcasting as NumPy does.
func Add(a, b *Array) (*Array, error) { return elementwise(OpAdd, a, b) }

// Sub returns a-b, broadcasting.
func Sub(a, b *Array) (*Array, error) { return elementwise(OpSub, a, b) }

// Mul returns a*b, broadcasting.
func Mul(a, b *Array) (*Array, error) { return elementwise(OpMul, a, b) }

// Div returns a/b, broadcasting.
func Div(a, b *Array) (*Array, error) { return elementwise(OpDiv, a, b) }

// Maximum returns the element-wise larger of a and b, broadcasting (NaN if
// either is NaN).
func Maximum(a, b *Array) (*Array, error) { return elementwise(OpMax, a, b) }

// Minimum returns the element-wise smaller of a and b, broadcasting.
func Minimum(a, b *Array) (*Array, error) { return elementwise(OpMin, a, b) }

// FMA returns a*b+c with one rounding, broadcasting.
func FMA(a, b, c *Array) (*Array, error) { return elementwise(OpFMA, a, b, c) }

func reduce(op Op, a *Array, axis int) (*Array, error) {
	e, err := sameEngine(op.String(), a)
	if err != nil {
		return nil, err
	}
	if !a.dtype.IsFloat() {
		return nil, fmt.Errorf("engine: %s: input is %s %v; reductions need a float dtype", op, a.dtype, a.shape)
	}
	if axis < 0 {
		axis += len(a.shape)
	}
	if axis < 0 || axis >= len(a.shape) {
		return nil, fmt.Errorf("engine: %s: axis out of range for shape %v", op, a.shape)
	}
	out := append(a.shape[:axis:axis], a.shape[axis+1:]...)
	return e.newLazy(op, Attrs{Axis: axis}, []*Array{a}, []Shape{out}, []DType{Float32})[0], nil
}

// Sum adds the elements along axis (negative counts from the end); the
// axis is removed from the shape and the result is Float32.
func Sum(a *Array, axis int) (*Array, error) { return reduce(OpSum, a, axis) }

// ReduceMax returns the largest element along axis (NaN if any is NaN).
func ReduceMax(a *Array, axis int) (*Array, error) { return reduce(OpReduceMax, a, axis) }

// Norm returns the L2 norm along axis.
func Norm(a *Array, axis int) (*Array, error) { return reduce(OpNorm, a, axis) }

// Normalize divides each row (along the last axis) by its L2 norm, or by
// 1e-12 if the norm is smaller (a zero row stays zero). Same shape and
// dtype.
func Normalize(a *Array) (*Array, error) {
	e, err := sameEngine("normalize", a)
	if err != nil {
		return nil, err
	}
	if !a.dtype.IsFloat() || len(a.shape) == 0 {
		return nil, fmt.Errorf("engine: normalize: input is %s %v; want a float array of rank 1 or more", a.dtype, a.shape)
	}
	return e.newLazy(OpNormalize, Attrs{}, []*Array{a}, []Shape{a.shape}, []DType{a.dtype})[0], nil
}

// LayerNorm normalizes each row of x along the last axis to zero mean and
// unit variance, then scales it by gamma and shifts it by beta, as
// torch.nn.functional.layer_norm(x, [d], gamma, beta, eps):
//
//	y = (x - mean) / sqrt(var + eps) * gamma + beta
//
// with mean and var the row's mean and biased variance (squared
// deviations divided by d), accumulated in float32 or wider. x is
// [..., d] (rank 1 or more, d >= 1) of a float dtype; gamma and beta are
// [d] of the same dtype; y has x's shape and dtype. It returns an error
// for other shapes or dtypes, and for an eps that is negative, infinite
// or NaN.
func LayerNorm(x, gamma, beta *Array, eps float32) (*Array, error) {
	e, err := sameEngine("layer_norm", x, gamma, beta)
	if err != nil {
		return nil, err
	}
	if !x.dtype.IsFloat() || len(x.shape) == 0 || x.shape[len(x.shape)-1] == 0 {
		return nil, fmt.Errorf("engine: layer_norm: input is %s %v; want a float array of rank 1 or more with rows of at least 1", x.dtype, x.shape)
	}
	d := x.shape[len(x.shape)-1]
	for _, p := range []struct {
		name string
		a    *Array
	}{{"gamma", gamma}, {"beta", beta}} {
		if p.a.dtype != x.dtype || !p.a.shape.Equal(Shape{d}) {
			return nil, fmt.Errorf("engine: layer_norm: %s is %s %v; want %s [%d], as the rows of x %v", p.name, p.a.dtype, p.a.shape, x.dtype, d, x.shape)
		}
	}
	if !(eps >= 0) || math.IsInf(float64(eps), 1) {
		return nil, fmt.Errorf("engine: layer_norm: eps %g; want a finite eps >= 0", eps)
	}
	return e.newLazy(OpLayerNorm, Attrs{Eps: eps}, []*Array{x, gamma, beta}, []Shape{x.shape}, []DType{x.dtype})[0], nil
}

func matrixPair(op string, a, b *Array) (*Engine, error) {
	e, err := sameEngine(op, a, b)
	if err != nil {
		return nil, err
	}
	if len(a.shape) != 2 || len(b.shape) != 2 {
		return nil, fmt.Errorf("engine: %s: want two matrices, got %v and %v", op, a.shape, b.shape)
	}
	if !a.dtype.IsFloat() || a.dtype != b.dtype {
		return nil, fmt.Errorf("engine: %s: want two float matrices of one dtype, got %s %v and %s %v", op, a.dtype, a.shape, b.dtype, b.shape)
	}
	return e, nil
}

// MatMul returns the matrix product op(a)·op(b) as Float32, where op
// transposes when the flag is set: a is [m, k] ([k, m] if transA), b is
// [k, n] ([n, k] if transB), the result [m, n].
func MatMul(a, b *Array, transA, transB bool) (*Array, error) {
	e, err := matrixPair("matmul", a, b)
	if err != nil {
		return nil, err
	}
	m, k := a.shape[0], a.shape[1]
	if transA {
		m, k = k, m
	}
	k2, n := b.shape[0], b.shape[1]
	if transB {
		k2, n = n, k2
	}
	if k != k2 {
		return nil, fmt.Errorf("engine: matmul: inner dimensions differ: a %v (transposed %t) has k=%d, b %v (transposed %t) has k=%d",
			a.shape, transA, k, b.shape, transB, k2)
	}
	return e.newLazy(OpMatMul, Attrs{TransA: transA, TransB: transB}, []*Array{a, b},
		[]Shape{{m, n}}, []DType{Float32})[0], nil
}

// Cosine returns the cosine similarity of every row of a [m, d] with every
// row of b [n, d]: [m, n] Float32. It is Normalize on both, then MatMul
// with b transposed; backends that can fuse run it as one kernel.
func Cosine(a, b *Array) (*Array, error) {
	if _, err := matrixPair("cosine", a, b); err != nil {
		return nil, err
	}
	if a.shape[1] != b.shape[1] {
		return nil, fmt.Errorf("engine: cosine: rows differ in length: a %v, b %v", a.shape, b.shape)
	}
	na, err := Normalize(a)
	if err != nil {
		return nil, err
	}
	nb, err := Normalize(b)
	if err != nil {
		return nil, err
	}
	return MatMul(na, nb, false, true)
}

// L2Distance returns the squared Euclidean distance between every row of
// a [m, d] and every row of b [n, d]: [m, n] Float32.
func L2Distance(a, b *Array) (*Array, error) {
	e, err := matrixPair("l2_distance", a, b)
	if err != nil {
		return nil, err
	}
	if a.shape[1] != b.shape[1] {
		return nil, fmt.Errorf("engine: l2_distance: rows differ in length: a %v, b %v", a.shape, b.shape)
	}
	return e.newLazy(OpL2Distance, Attrs{}, []*Array{a, b},
		[]Shape{{a.shape[0], b.shape[0]}}, []DType{Float32})[0], nil
}

// TopK returns the k largest (or smallest) elements along the last axis of
// a [n] or [m, n] float array, best first, ties broken by the smaller
// index, NaN after every number: values [.., k] Float32 and their indices
// [.., k] Int64. A k larger than n is clamped to n; k < 1 is an error.
// There is no other limit on k.
func TopK(a *Array, k int, largest bool) (values, indices *Array, err error) {
	e, err := sameEngine("topk", a)
	if err != nil {
		return nil, nil, err
	}
	if !a.dtype.IsFloat() || len(a.shape) < 1 || len(a.shape) > 2 {
		return nil, nil, fmt.Errorf("engine: topk: input is %s %v; want a float vector or matrix", a.dtype, a.shape)
	}
	if k < 1 {
		return nil, nil, fmt.Errorf("engine: topk: k = %d; want k >= 1", k)
	}
	n := a.shape[len(a.shape)-1]
	k = min(k, n)
	out := a.shape.Clone()
	out[len(out)-1] = k
	outs := e.newLazy(OpTopK, Attrs{K: k, Largest: largest}, []*Array{a},
		[]Shape{out, out.Clone()}, []DType{Float32, Int64})
	return outs[0], outs[1], nil
}

// MaskRows returns the scores x ([n] or [m, n] float) with every row j of
// the last axis that fails the bitmap bits scored as the worst of the
// order largest names: -Inf when largest, +Inf otherwise; passing rows
// keep their score. Row j passes when bit j%32 of word j/32 of bits is
// set; bits is an Int32 vector of (n+31)/32 words (bits past n are
// ignored). The result is Float32 of x's shape. TopK(MaskRows(s, bits,
// largest), k, largest) thus ranks the failing rows after the passing
// ones (but for passing rows scored ±Inf or NaN, which tie with or rank
// after them), and the scheduler fuses it with the scores of a MatMul or
// L2Distance into one scan that reads the bitmap (OpScanTopK with
// Attrs.Mask) where the backend can. Wrong dtypes or a bitmap of the
// wrong length are errors.
func MaskRows(x, bits *Array, largest bool) (*Array, error) {
	e, err := sameEngine("mask_rows", x, bits)
	if err != nil {
		return nil, err
	}
	if !x.dtype.IsFloat() || len(x.shape) < 1 || len(x.shape) > 2 {
		return nil, fmt.Errorf("engine: mask_rows: scores are %s %v; want a float vector or matrix", x.dtype, x.shape)
	}
	n := x.shape[len(x.shape)-1]
	if bits.dtype != Int32 || len(bits.shape) != 1 || bits.shape[0] != (n+31)/32 {
		return nil, fmt.Errorf("engine: mask_rows: bitmap is %s %v; want int32 [%d] for %d rows", bits.dtype, bits.shape, (n+31)/32, n)
	}
	return e.newLazy(OpMaskRows, Attrs{Largest: largest}, []*Array{x, bits}, []Shape{x.shape.Clone()}, []DType{Float32})[0], nil
}

// Gather returns the rows of a [n, ...] selected by idx, an Int32 or Int64
// vector [r] or matrix [m, r]: the result is [r, ...] (or [m, r, ...]) of
// a's dtype, row i (row i*r+j) being row idx[i] (idx[i][j]) of a. An index
// outside [0, n) makes Eval fail with ErrIndexOutOfRange, naming its
// position in idx's elements in order.
func Gather(a, idx *Array) (*Array, error) {
	e, err := sameEngine("gather", a, idx)
	if err != nil {
		return nil, err
	}
	if len(a.shape) < 1 {
		return nil, fmt.Errorf("engine: gather: cannot gather rows of a scalar %v", a.shape)
	}
	if !idx.dtype.IsIndex() || len(idx.shape) < 1 || len(idx.shape) > 2 {
		return nil, fmt.Errorf("engine: gather: indices are %s %v; want an int32 or int64 vector or matrix", idx.dtype, idx.shape)
	}
	out := append(idx.shape.Clone(), a.shape[1:]...)
	return e.newLazy(OpGather, Attrs{}, []*Array{a, idx}, []Shape{out}, []DType{a.dtype})[0], nil
}

// SliceRows returns rows [start, end) of a vector or matrix, all columns.
func SliceRows(a *Array, start, end int) (*Array, error) {
	if a == nil {
		return nil, fmt.Errorf("engine: slice: %w", errNilArray)
	}
	if len(a.shape) == 2 {
		return Slice(a, start, end, 0, a.shape[1])
	}
	return Slice(a, start, end, 0, 0)
}

// Slice returns rows [r0, r1) and columns [c0, c1) of a matrix as a new
// contiguous array; for a vector the columns must be 0, 0.
func Slice(a *Array, r0, r1, c0, c1 int) (*Array, error) {
	e, err := sameEngine("slice", a)
	if err != nil {
		return nil, err
	}
	if len(a.shape) < 1 || len(a.shape) > 2 {
		return nil, fmt.Errorf("engine: slice: input %v; want a vector or matrix", a.shape)
	}
	if r0 < 0 || r1 > a.shape[0] || r0 >= r1 {
		return nil, fmt.Errorf("engine: slice: rows [%d, %d) of %v: want 0 <= start < end <= %d", r0, r1, a.shape, a.shape[0])
	}
	out := Shape{r1 - r0}
	if len(a.shape) == 2 {
		if c0 < 0 || c1 > a.shape[1] || c0 >= c1 {
			return nil, fmt.Errorf("engine: slice: columns [%d, %d) of %v: want 0 <= start < end <= %d", c0, c1, a.shape, a.shape[1])
		}
		out = append(out, c1-c0)
	} else if c0 != 0 || c1 != 0 {
		return nil, fmt.Errorf("engine: slice: columns [%d, %d) of the vector %v: want 0, 0", c0, c1, a.shape)
	}
	return e.newLazy(OpSlice, Attrs{Rows: [2]int{r0, r1}, Cols: [2]int{c0, c1}}, []*Array{a},
		[]Shape{out}, []DType{a.dtype})[0], nil
}

// Cast converts a to dtype to (see OpCast for the rounding rules).
func Cast(a *Array, to DType) (*Array, error) {
	e, err := sameEngine("cast", a)
	if err != nil {
		return nil, err
	}
	if to.Size() == 0 {
		return nil, fmt.Errorf("engine: cast: invalid dtype %s", to)
	}
	if a.dtype == to {
		return a, nil
	}
	return e.newLazy(OpCast, Attrs{To: to}, []*Array{a}, []Shape{a.shape}, []DType{to})[0], nil
}

// Quantize turns the rows of a float matrix [n, d] into Int8 rows and one
// Float32 scale per row (symmetric: q = round(x/scale), scale = max|x|/127).
func Quantize(a *Array) (q, scales *Array, err error) {
	e, err := sameEngine("quantize", a)
	if err != nil {
		return nil, nil, err
	}
	if !a.dtype.IsFloat() || len(a.shape) != 2 {
		return nil, nil, fmt.Errorf("engine: quantize: input is %s %v; want a float matrix", a.dtype, a.shape)
	}
	outs := e.newLazy(OpQuantize, Attrs{}, []*Array{a},
		[]Shape{a.shape, {a.shape[0]}}, []DType{Int8, Float32})
	return outs[0], outs[1], nil
}

// Dequantize returns q [n, d] Int8 times its row scales [n] as Float32.
func Dequantize(q, scales *Array) (*Array, error) {
	e, err := sameEngine("dequantize", q, scales)
	if err != nil {
		return nil, err
	}
	if q.dtype != Int8 || len(q.shape) != 2 || scales.dtype != Float32 || !scales.shape.Equal(Shape{q.shape[0]}) {
		return nil, fmt.Errorf("engine: dequantize: got %s %v and scales %s %v; want int8 [n d] and float32 [n]",
			q.dtype, q.shape, scales.dtype, scales.shape)
	}
	return e.newLazy(OpDequantize, Attrs{}, []*Array{q, scales}, []Shape{q.shape}, []DType{Float32})[0], nil
}

// MaxHeadDim is the widest head Attention takes (h/heads): the GPU
// kernels keep a query's head in the registers of one warp or SIMD group,
// eight columns a lane.
const MaxHeadDim = 256

// Attention returns multi-head self-attention over sequences packed row
// after row (OpAttention): q, k and v are [n, h] of one float dtype, the
// rows of len(lengths) sequences of lengths[i] rows each, in order; each
// row attends to the rows of its own sequence only, each of the heads to
// its own h/heads columns, with scores scale·(q·k) and a softmax over
// the sequence's rows. The result is [n, h] Float32, the heads side by
// side, as torch's scaled_dot_product_attention over the unpadded
// sequences gives them. It returns an error for shapes that differ or are
// not matrices, a non-float or mixed dtype, heads that do not divide h or
// make heads wider than MaxHeadDim, lengths below 1 or not summing to n,
// and a scale that is not finite.
func Attention(q, k, v *Array, heads int, scale float32, lengths []int) (*Array, error) {
	e, err := sameEngine("attention", q, k, v)
	if err != nil {
		return nil, err
	}
	for i, a := range []*Array{q, k, v} {
		if len(a.shape) != 2 || !a.shape.Equal(q.shape) || !a.dtype.IsFloat() || a.dtype != q.dtype {
			return nil, fmt.Errorf("engine: attention: input %d is %s %v; want q, k and v float matrices of one shape and dtype (q is %s %v)",
				i, a.dtype, a.shape, q.dtype, q.shape)
		}
	}
	n, h := q.shape[0], q.shape[1]
	if heads < 1 || h%heads != 0 || h/heads > MaxHeadDim {
		return nil, fmt.Errorf("engine: attention: %d heads over %d columns; want heads >= 1 dividing the columns into heads of at most %d", heads, h, MaxHeadDim)
	}
	if math.IsNaN(float64(scale)) || math.IsInf(float64(scale), 0) {
		return nil, fmt.Errorf("engine: attention: scale %g; want a finite scale", scale)
	}
	if err := checkLengths("attention", "sequence", "q", lengths, n); err != nil {
		return nil, err
	}
	attrs := Attrs{Heads: heads, Scalar: scale, Segments: append([]int(nil), lengths...)}
	return e.newLazy(OpAttention, attrs, []*Array{q, k, v}, []Shape{{n, h}}, []DType{Float32})[0], nil
}

// checkLengths fails unless lengths are each at least 1 and sum to n, the
// rows of the input named in; what names one of them in the message.
func checkLengths(op, what, in string, lengths []int, n int) error {
	total := 0
	for i, l := range lengths {
		if l < 1 {
			return fmt.Errorf("engine: %s: %s %d has length %d; want at least 1", op, what, i, l)
		}
		total += l
	}
	if total != n {
		return fmt.Errorf("engine: %s: %d %ss of %d rows in all, but %s has %d rows", op, len(lengths), what, total, in, n)
	}
	return nil
}

// SegmentSum returns the sums of segments of x's rows (OpSegmentSum): x
// is [n, h] of a float dtype, the rows of len(lengths) segments of
// lengths[i] rows each, packed in order with no padding (the tokens of
// texts of different lengths, back to back); row i of the [len(lengths),
// h] Float32 result is the column-wise sum of segment i's rows,
// accumulated in float32. Divided by the lengths, it is the mean pooling
// of a sentence encoder. It returns an error for an x that is not a float
// matrix, no lengths, a length below 1, and lengths not summing to n.
func SegmentSum(x *Array, lengths []int) (*Array, error) {
	return segmentReduce(OpSegmentSum, x, lengths)
}

// SegmentMax returns the column-wise maxima of segments of x's rows
// (OpSegmentMax), with x, lengths, the result and the errors as for
// SegmentSum: row i of the result is the largest element of each column
// of segment i's rows, NaN where one of them is NaN (as ReduceMax).
func SegmentMax(x *Array, lengths []int) (*Array, error) {
	return segmentReduce(OpSegmentMax, x, lengths)
}

// segmentReduce builds op, OpSegmentSum or OpSegmentMax, of x over the
// segments of lengths.
func segmentReduce(op Op, x *Array, lengths []int) (*Array, error) {
	e, err := sameEngine(op.String(), x)
	if err != nil {
		return nil, err
	}
	if len(x.shape) != 2 || !x.dtype.IsFloat() {
		return nil, fmt.Errorf("engine: %s: x is %s %v; want a float matrix [n, h]", op, x.dtype, x.shape)
	}
	if len(lengths) == 0 {
		return nil, fmt.Errorf("engine: %s: no segments; want at least one length", op)
	}
	if err := checkLengths(op.String(), "segment", "x", lengths, x.shape[0]); err != nil {
		return nil, err
	}
	attrs := Attrs{Segments: append([]int(nil), lengths...)}
	return e.newLazy(op, attrs, []*Array{x}, []Shape{{len(lengths), x.shape[1]}}, []DType{Float32})[0], nil
}
