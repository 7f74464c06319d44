package engine

import (
	"fmt"
	"math"
	"strconv"
	"unsafe"
)

// Op names one operation of the graph. Each entry's comment gives its
// inputs, its attributes (fields of Attrs) and its shape and dtype rule.
// "float" means Float32, Float16 or BFloat16. Adding an op touches this
// enum, the op-family file of each backend, and one row of the shared
// backend test table (package backendtest).
type Op uint16

const (
	OpInvalid Op = iota

	// Element-wise, unary: x -> y, same shape and dtype, x float.
	OpNeg   // -x
	OpAbs   // |x|
	OpSqrt  // sqrt(x); NaN for x < 0
	OpRsqrt // 1/sqrt(x); +Inf for x = 0
	OpExp   // e^x
	OpLog   // natural log; -Inf for 0, NaN for x < 0
	OpScale // x * Attrs.Scalar

	// Element-wise, binary with NumPy broadcasting: (a, b) -> y, a and b
	// of one float dtype; y has the broadcast shape and that dtype.
	OpAdd // a + b
	OpSub // a - b
	OpMul // a * b
	OpDiv // a / b
	OpMax // max(a, b); NaN if either is NaN
	OpMin // min(a, b); NaN if either is NaN

	// Element-wise, ternary with broadcasting: (a, b, c) -> a*b + c, as
	// ApplyElementwise defines it: the exact product plus c rounded to
	// float64, then to float32 (a fused multiply-add; the double rounding
	// differs from a float32 fma in rare ties, within every tolerance).
	OpFMA

	// Reductions along Attrs.Axis (the axis is removed from the shape),
	// x float -> float32, accumulated in float32 (float64 on the CPU).
	OpSum       // sum
	OpReduceMax // largest element; NaN if any is NaN
	OpNorm      // L2 norm: sqrt(sum of squares)

	// OpNormalize: x [..., d] -> y [..., d], same dtype: each row along the
	// last axis divided by max(||row||, 1e-12) (a zero row stays zero, as in
	// torch.nn.functional.normalize).
	OpNormalize

	// OpMatMul: a [m, k] (or [k, m] with Attrs.TransA), b [k, n] (or [n, k]
	// with Attrs.TransB) -> [m, n] float32. a and b share one float dtype.
	OpMatMul

	// OpL2Distance: a [m, d], b [n, d] -> [m, n] float32, the squared
	// Euclidean distance between every row of a and every row of b.
	OpL2Distance

	// OpTopK: x [n] or [m, n] float -> values (float32) and indices (Int64),
	// shape [k] or [m, k], along the last axis: the Attrs.K largest (or
	// smallest when !Attrs.Largest) in order, ties broken by the smaller
	// index. NaN ranks after every number in either order. K <= n.
	OpTopK

	// OpGather: x [n, d...] (any dtype), idx [r] Int32 or Int64 -> [r, d...]:
	// rows of x. An index outside [0, n) fails the evaluation with
	// ErrIndexOutOfRange.
	OpGather

	// OpSlice: x [n] or [n, d] (any dtype) -> rows Attrs.Rows[0]:Attrs.Rows[1]
	// and (2-D) columns Attrs.Cols[0]:Attrs.Cols[1], a contiguous copy.
	OpSlice

	// OpCast: x -> same shape, dtype Attrs.To. Between float dtypes rounds to
	// nearest even; float to Int32/Int64 truncates toward zero; Int8 is
	// converted as a plain integer (use OpDequantize for scaled rows).
	OpCast

	// OpQuantize: x [n, d] float -> q [n, d] Int8 and scale [n] float32, with
	// scale = max|row|/127 (1 for a zero row) and q = round(x/scale), ties
	// away from zero, clamped to [-127, 127].
	OpQuantize

	// OpDequantize: q [n, d] Int8, scale [n] float32 -> [n, d] float32,
	// q * scale.
	OpDequantize

	// OpCustom: a kernel defined outside the engine (NewKernel): inputs and
	// outputs as its KernelSpec says; Attrs.Kernel is the kernel and
	// Attrs.Params its integer parameters. A backend that has no source for
	// it refuses it (Capabilities) and the engine runs the kernel's Go
	// function on the host instead, saying so in the plan (Step.Host).
	OpCustom

	// Fused operations. The scheduler builds them (passes in fuse.go) only
	// where the backend says it runs them (Capabilities).

	// OpFusedElementwise: inputs a chain of element-wise ops read, output
	// the chain's result; Attrs.Program holds the chain. Shape and dtype
	// as the last op of the chain.
	OpFusedElementwise

	// OpNormMatMul: a [m, k], b [n, k] (b transposed, as Cosine needs) ->
	// [m, n] float32, the product of the rows of a and b, each row first
	// normalized when Attrs.NormA / Attrs.NormB. With Attrs.Quantized, b is
	// Int8 and a third input gives its row scales [n] float32.
	OpNormMatMul

	// OpScanTopK: the fused search. q [m, d], x [n, d] (and, with
	// Attrs.Quantized, x Int8 and scales [n]) -> values [m, k] float32 and
	// indices [m, k] Int64, as OpTopK over the scores of Attrs.Metric
	// (MetricDot with Attrs.NormA/NormB, or MetricL2), without ever writing
	// the [m, n] score matrix.
	OpScanTopK

	numOps
)

var opNames = [...]string{
	OpInvalid: "invalid", OpNeg: "neg", OpAbs: "abs", OpSqrt: "sqrt", OpRsqrt: "rsqrt",
	OpExp: "exp", OpLog: "log", OpScale: "scale", OpAdd: "add", OpSub: "sub", OpMul: "mul",
	OpDiv: "div", OpMax: "max", OpMin: "min", OpFMA: "fma", OpSum: "sum",
	OpReduceMax: "reduce_max", OpNorm: "norm", OpNormalize: "normalize", OpMatMul: "matmul",
	OpL2Distance: "l2_distance", OpTopK: "topk", OpGather: "gather", OpSlice: "slice",
	OpCast: "cast", OpQuantize: "quantize", OpDequantize: "dequantize", OpCustom: "custom",
	OpFusedElementwise: "fused_elementwise", OpNormMatMul: "norm_matmul", OpScanTopK: "scan_topk",
}

func (o Op) String() string {
	if int(o) < len(opNames) && opNames[o] != "" {
		return opNames[o]
	}
	return fmt.Sprintf("op(%d)", o)
}

// Ops returns every op, in enum order (for tests and docs that must cover
// them all).
func Ops() []Op {
	ops := make([]Op, 0, numOps-1)
	for o := OpInvalid + 1; o < numOps; o++ {
		ops = append(ops, o)
	}
	return ops
}

// IsUnary reports whether o is a one-input element-wise op.
func (o Op) IsUnary() bool { return o >= OpNeg && o <= OpScale }

// IsBinary reports whether o is a two-input element-wise op.
func (o Op) IsBinary() bool { return o >= OpAdd && o <= OpMin }

// IsElementwise reports whether o is element-wise (unary, binary, FMA).
func (o Op) IsElementwise() bool { return o >= OpNeg && o <= OpFMA }

// IsReduction reports whether o reduces along an axis.
func (o Op) IsReduction() bool { return o >= OpSum && o <= OpNorm }

// Metric is the score of a fused scan.
type Metric uint8

const (
	// MetricDot: the dot product of the (optionally normalized) rows;
	// larger is closer. Cosine similarity is MetricDot with NormA and NormB.
	MetricDot Metric = iota
	// MetricL2: the squared Euclidean distance; smaller is closer.
	MetricL2
)

func (m Metric) String() string {
	if m == MetricL2 {
		return "l2"
	}
	return "dot"
}

// Attrs holds the attributes of a step. Each op reads only the fields its
// comment in the Op enum names; the others stay zero, so that two steps
// with equal attributes compare equal.
type Attrs struct {
	Axis     int      // reductions
	K        int      // OpTopK, OpScanTopK: the number of results per row
	Largest  bool     // OpTopK, OpScanTopK: the largest first (else smallest)
	TransA   bool     // OpMatMul
	TransB   bool     // OpMatMul
	NormA    bool     // OpNormMatMul, OpScanTopK: normalize rows of the first input
	NormB    bool     // OpNormMatMul, OpScanTopK: normalize rows of the second input
	Metric   Metric   // OpScanTopK
	Quantize bool     // OpNormMatMul, OpScanTopK: the second input is Int8 with row scales
	Scalar   float32  // OpScale
	To       DType    // OpCast
	Rows     [2]int   // OpSlice: [start, end)
	Cols     [2]int   // OpSlice: [start, end) for 2-D inputs
	Program  *Program // OpFusedElementwise
	Kernel   *Kernel  // OpCustom
	Params   []int64  // OpCustom: the kernel's integer parameters
}

// appendKey appends a compact rendering of every attribute to b: the part
// of a plan signature that tells steps of one op apart.
func (a *Attrs) appendKey(b []byte) []byte {
	flags := 0
	for i, f := range []bool{a.Largest, a.TransA, a.TransB, a.NormA, a.NormB, a.Quantize} {
		if f {
			flags |= 1 << i
		}
	}
	for _, v := range []int{a.Axis, a.K, flags, int(a.Metric), int(math.Float32bits(a.Scalar)), int(a.To),
		a.Rows[0], a.Rows[1], a.Cols[0], a.Cols[1]} {
		b = strconv.AppendInt(b, int64(v), 10)
		b = append(b, ',')
	}
	if a.Program != nil {
		b = append(b, a.Program.String()...)
	}
	if a.Kernel != nil {
		b = append(b, a.Kernel.spec.Name...)
		b = append(b, '@')
		b = strconv.AppendUint(b, uint64(uintptr(unsafe.Pointer(a.Kernel))), 16)
		for _, p := range a.Params {
			b = append(b, ',')
			b = strconv.AppendInt(b, p, 10)
		}
	}
	return b
}
