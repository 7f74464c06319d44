package engine

import (
	"fmt"
	"math"
	"strconv"
	"unsafe"
)

// Op names one operation of the graph. Each entry's comment gives its
// inputs, its attributes (fields of Attrs) and its semantics; its row of
// the op table (opTable, OpInfo) gives its name, family, arity, shape
// rule and the fusions that may take it, which the predicates, the
// scheduler and the compat shims' generated header read. The order of the
// enum means nothing: a new op goes beside its family. "float" means
// Float32, Float16 or BFloat16.
//
// Adding an element-wise op touches this enum and its table row (which
// defines it for every backend and shim: Elementwise), its builder
// (ops.go) and one row of the shared backend test table (package
// backendtest): 3 files, when its expression calls a C function that
// MSL's standard library has (kernels/metal/silica.h names them all); 4
// when MSL lacks it and silica.h writes it out, as erff. Any other
// primitive op touches this file (enum, table row, any new Attrs field),
// its builder (ops.go), the op-family file of each backend with its kernel
// source (cpu/<family>.go; cuda/<family>.go, which also registers the
// kernel's parameter struct and default variants, and
// kernels/cuda/<family>.cu; metal/<family>.go, which also registers its
// manifest rows, and kernels/metal/<family>.metal, with a params struct
// of its own if it needs one) and its test row in backendtest: 8 files,
// as OpLayerNorm did. The compat shims implement
// an op only if they choose to (internal/shim: each lists the ops it
// implements; the others are ErrUnsupported there and their test cases
// skipped), and their op header is generated when they are built.
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
	OpErf   // the error function, 2/sqrt(pi) times the integral of e^(-t^2) from 0 to x; +-1 for +-Inf
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

	// OpLayerNorm: x [..., d], gamma [d] and beta [d], one float dtype ->
	// y [..., d] of that dtype: each row along the last axis, (x - mean) /
	// sqrt(var + Attrs.Eps) * gamma + beta, with the row's mean and biased
	// variance (the mean of the squared deviations, divided by d),
	// accumulated in float32 or wider, as torch.nn.functional.layer_norm
	// over the last axis computes it.
	OpLayerNorm

	// OpMatMul: a [m, k] (or [k, m] with Attrs.TransA), b [k, n] (or [n, k]
	// with Attrs.TransB) -> [m, n] float32. a and b share one float dtype.
	OpMatMul

	// OpL2Distance: a [m, d], b [n, d] -> [m, n] float32, the squared
	// Euclidean distance between every row of a and every row of b.
	OpL2Distance

	// OpAttention: q, k, v [n, h] of one float dtype -> [n, h] float32:
	// multi-head self-attention over sequences packed one after another,
	// Attrs.Segments their lengths (each >= 1, summing to n), Attrs.Heads
	// heads of dh = h/Heads columns (dh <= MaxHeadDim). A row attends only
	// to the rows of its own sequence, so packed sequences need no padding
	// and no mask. For query row i of the sequence [s0, s1) and head j
	// (columns c in [j*dh, (j+1)*dh)): out[i, c] = sum over r in [s0, s1)
	// of p_r v[r, c], with p = softmax_r(Attrs.Scalar * q[i, c]·k[r, c]),
	// accumulated in float32. The score matrix is never stored whole.
	OpAttention

	// OpSegmentSum, OpSegmentMax: x [n, h] float -> [len(Attrs.Segments),
	// h] float32, reductions over segments of rows packed one after
	// another, Attrs.Segments their lengths (each >= 1, summing to n; at
	// least one): row i of the result reduces the rows [s_i, s_i +
	// Attrs.Segments[i]) of x column by column, s_i the sum of the lengths
	// before it. The pooling of packed sequences (a sentence encoder's
	// mean and max pooling, with no padding and no selector matrix).
	OpSegmentSum // the sum, accumulated in float32 (in an order of the backend's)
	OpSegmentMax // the largest element; NaN if any is NaN, as OpReduceMax

	// OpTopK: x [n] or [m, n] float -> values (float32) and indices (Int64),
	// shape [k] or [m, k], along the last axis: the Attrs.K largest (or
	// smallest when !Attrs.Largest) in order, ties broken by the smaller
	// index. NaN ranks after every number in either order. K <= n.
	OpTopK

	// OpMaskRows: x [n] or [m, n] float, bits [(n+31)/32] Int32 -> y of
	// x's shape, Float32: x where row j of the last axis passes (bit j%32
	// of word j/32 of bits is set), else the worst score of the order
	// Attrs.Largest names (-Inf when largest, +Inf otherwise), so that a
	// TopK of that order ranks the failing rows after every passing row
	// with a finite score. Bits past n are ignored.
	OpMaskRows

	// OpGather: x [n, d...] (any dtype), idx [r] or [m, r] Int32 or Int64
	// -> [r, d...] or [m, r, d...]: rows of x, one per element of idx in
	// order. An index outside [0, n) fails the evaluation with
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
	// normalized when Attrs.NormA / Attrs.NormB. With Attrs.Quantize, b is
	// Int8 and a third input gives its row scales [n] float32.
	OpNormMatMul

	// OpScanTopK: the fused search. q [m, d], x [n, d] (and, with
	// Attrs.Quantize, x Int8 and scales [n]; with Attrs.Mask, last, a row
	// bitmap [(n+31)/32] Int32) -> values [m, k] float32 and indices
	// [m, k] Int64, as OpTopK over the scores of Attrs.Metric (MetricDot
	// with Attrs.NormA/NormB, or MetricL2), through OpMaskRows of the
	// bitmap with Attrs.Mask, without ever writing the [m, n] score
	// matrix.
	OpScanTopK

	// OpMatMulEpilogue: a, b as OpMatMul (Attrs.TransA, Attrs.TransB),
	// then the other inputs of Attrs.Program -> [m, n] float32: the
	// program applied to every element of the product as it is written,
	// its register 0 the product's element and registers 1.. the further
	// inputs broadcast to [m, n] (a bias [n], a residual [m, n]), so the
	// product is never stored and read back by a separate element-wise
	// step.
	OpMatMulEpilogue

	numOps
)

// OpKind is an op's family: which builder checks it and which op-family
// file of each backend runs it.
type OpKind uint8

const (
	KindInvalid     OpKind = iota
	KindElementwise        // element-wise (its Inputs say unary, binary or ternary): elementwise.go
	KindReduction          // along Attrs.Axis: reduce.go
	KindRows               // row-wise, same shape (OpNormalize, OpLayerNorm): reduce.go
	KindMatMul             // products and distances of rows: matmul.go
	KindTopK               // selection: topk.go
	KindGather             // gathers and copies of rows: gather.go
	KindConvert            // dtype conversions: convert.go
	KindCustom             // a kernel defined outside the engine: custom.go
	KindAttention          // attention over packed sequences: attention.go
	KindSegment            // reductions over packed segments of rows: segment.go
	KindFused              // built only by the scheduler's fusion passes
)

var kindNames = [...]string{"invalid", "elementwise", "reduction", "rows", "matmul", "topk", "gather", "convert", "custom", "attention", "segment", "fused"}

func (k OpKind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return fmt.Sprintf("kind(%d)", k)
}

// Fusion is a set of the scheduler's fusion passes (fuse.go).
type Fusion uint8

const (
	// FuseScan: pass 1, scores->topk into one OpScanTopK (the top-k, the
	// matmul or distance under it, and the Normalize and Dequantize it
	// peels).
	FuseScan Fusion = 1 << iota
	// FuseNormMatMul: pass 2, normalize->matmul into one OpNormMatMul (the
	// matmul and the Normalize and Dequantize it peels).
	FuseNormMatMul
	// FuseChain: pass 3, element-wise chains into one OpFusedElementwise.
	FuseChain
	// FuseEpilogue: pass 4, a matmul into the element-wise step (a single
	// op or a chain) that reads its product: one OpMatMulEpilogue.
	FuseEpilogue
)

// Variadic is OpInfo.Inputs or Outputs of an op whose count its
// attributes give (OpCustom's KernelSpec, a fused step's operands).
const Variadic = -1

// OpInfo is one row of the op table: everything about an op that is not
// how a backend runs it. The predicates (IsUnary, IsElementwise, ...),
// Op.String, the scheduler's fusion passes and its arity check, and the
// compat shims' generated header (internal/shim) all read it, so an op's
// place in the enum carries no meaning.
type OpInfo struct {
	Name    string // Op.String; the shims' SIL_OP_<NAME> upper-cased
	Kind    OpKind
	Inputs  int    // number of inputs, or Variadic
	Outputs int    // number of outputs, or Variadic
	Shape   string // the shape and dtype rule, in one line (the enum's comment gives the semantics)
	Fusion  Fusion // the fusion passes that may absorb the op into a fused step

	// Elementwise is the definition of an element-wise op (nil for every
	// other kind): the backends and the shims run the op from it.
	Elementwise *Elementwise
}

// Elementwise defines an element-wise op in one place: its semantics,
// which ApplyElementwise, the CPU's generic loop and Program.Eval run, its
// C expression, which Program.Source prints for the CUDA and Metal
// kernels, and the vendor functions the compat shims call (the generated
// X-macro lists SIL_UNARY_OPS and SIL_BINARY_OPS of the shims'
// silica_shim_ops.h, which internal/shim generates when it builds a shim).
type Elementwise struct {
	// Eval computes the op in float64 on the float32 operands a, b and c
	// (those it does not read are ignored) and the float32 scalar s
	// (OpScale's factor); the result is rounded to float32 once. For the
	// basic operations this is exactly their float32 arithmetic (float64
	// carries more than twice float32's precision); NaN and infinities
	// follow from the function, and a NaN result is quiet (a signaling
	// NaN operand comes back quieted, as from any float arithmetic; the
	// sign flip of OpNeg included).
	Eval func(a, b, c, s float64) float64

	// C is the expression Program.Source prints, with $a, $b and $c for
	// the operands and $s for the scalar as a float from its bits. It may
	// call the C math names CUDA provides (expf, erff, fmaxf, ...); the
	// Metal kernels find them in kernels/metal/silica.h, which names every
	// float function of MSL's standard library so and writes out those MSL
	// lacks (erff); package kernels' TestElementwiseCallsInHeader checks
	// that each one called is there.
	C string

	// Torch and MLX name the functions of libtorch (at::Torch) and MLX
	// (mlx::core::MLX) that compute the op from its one or two operands;
	// empty where the shims write the op by hand (OpScale, OpFMA).
	Torch, MLX string
}

// unaryShape is the shape rule of the unary element-wise ops.
const unaryShape = "x -> y: same shape and dtype, x float"

// unaryRow is the table row of a unary element-wise op computing f.
func unaryRow(name string, f func(float64) float64, c, torch, mlx string) OpInfo {
	return OpInfo{name, KindElementwise, 1, 1, unaryShape, FuseChain, &Elementwise{
		Eval: func(a, _, _, _ float64) float64 { return f(a) }, C: c, Torch: torch, MLX: mlx}}
}

// binaryRow is the table row of a binary element-wise op computing f.
func binaryRow(name string, f func(a, b float64) float64, c, torch, mlx string) OpInfo {
	return OpInfo{name, KindElementwise, 2, 1, "(a, b) -> y: broadcast shape, the inputs' float dtype", FuseChain, &Elementwise{
		Eval: func(a, b, _, _ float64) float64 { return f(a, b) }, C: c, Torch: torch, MLX: mlx}}
}

// nanOr is f, except that a NaN operand gives NaN (math.Max and math.Min
// already do; the row states it as the C expression does).
func nanOr(f func(a, b float64) float64) func(a, b float64) float64 {
	return func(a, b float64) float64 {
		if a != a || b != b {
			return a + b
		}
		return f(a, b)
	}
}

// opTable is the op table, one row per op.
var opTable = [numOps]OpInfo{
	OpInvalid: {Name: "invalid"},

	OpNeg:   unaryRow("neg", func(x float64) float64 { return -x }, "-$a", "neg", "negative"),
	OpAbs:   unaryRow("abs", math.Abs, "fabsf($a)", "abs", "abs"),
	OpSqrt:  unaryRow("sqrt", math.Sqrt, "sqrtf($a)", "sqrt", "sqrt"),
	OpRsqrt: unaryRow("rsqrt", func(x float64) float64 { return 1 / math.Sqrt(x) }, "rsqrtf($a)", "rsqrt", "rsqrt"),
	OpExp:   unaryRow("exp", math.Exp, "expf($a)", "exp", "exp"),
	OpLog:   unaryRow("log", math.Log, "logf($a)", "log", "log"),
	OpErf:   unaryRow("erf", math.Erf, "erff($a)", "erf", "erf"),
	OpScale: {"scale", KindElementwise, 1, 1, unaryShape, FuseChain, &Elementwise{
		Eval: func(a, _, _, s float64) float64 { return a * s }, C: "$a * $s"}}, // the shims scale by hand

	OpAdd: binaryRow("add", func(a, b float64) float64 { return a + b }, "$a + $b", "add", "add"),
	OpSub: binaryRow("sub", func(a, b float64) float64 { return a - b }, "$a - $b", "sub", "subtract"),
	OpMul: binaryRow("mul", func(a, b float64) float64 { return a * b }, "$a * $b", "mul", "multiply"),
	OpDiv: binaryRow("div", func(a, b float64) float64 { return a / b }, "$a / $b", "div", "divide"),
	OpMax: binaryRow("max", nanOr(math.Max), "($a != $a || $b != $b) ? ($a + $b) : fmaxf($a, $b)", "maximum", "maximum"),
	OpMin: binaryRow("min", nanOr(math.Min), "($a != $a || $b != $b) ? ($a + $b) : fminf($a, $b)", "minimum", "minimum"),

	OpFMA: {"fma", KindElementwise, 3, 1, "(a, b, c) -> y: broadcast shape, the inputs' float dtype", FuseChain, &Elementwise{
		Eval: func(a, b, c, _ float64) float64 { return math.FMA(a, b, c) }, C: "fmaf($a, $b, $c)"}}, // the shims add a*b by hand

	OpSum:       {"sum", KindReduction, 1, 1, "x -> y: x's shape without Attrs.Axis, float32", 0, nil},
	OpReduceMax: {"reduce_max", KindReduction, 1, 1, "x -> y: x's shape without Attrs.Axis, float32", 0, nil},
	OpNorm:      {"norm", KindReduction, 1, 1, "x -> y: x's shape without Attrs.Axis, float32", 0, nil},

	OpNormalize:  {"normalize", KindRows, 1, 1, "x [..., d] -> y [..., d], same dtype", FuseScan | FuseNormMatMul, nil},
	OpLayerNorm:  {"layer_norm", KindRows, 3, 1, "x [..., d], gamma [d], beta [d] -> y [..., d], one float dtype", 0, nil},
	OpMatMul:     {"matmul", KindMatMul, 2, 1, "a [m, k], b [k, n] (either transposed) -> [m, n] float32", FuseScan | FuseNormMatMul | FuseEpilogue, nil},
	OpL2Distance: {"l2_distance", KindMatMul, 2, 1, "a [m, d], b [n, d] -> [m, n] float32", FuseScan, nil},
	OpAttention:  {"attention", KindAttention, 3, 1, "q, k, v [n, h], one float dtype -> [n, h] float32", 0, nil},
	OpSegmentSum: {"segment_sum", KindSegment, 1, 1, "x [n, h] float -> [len(Attrs.Segments), h] float32", 0, nil},
	OpSegmentMax: {"segment_max", KindSegment, 1, 1, "x [n, h] float -> [len(Attrs.Segments), h] float32", 0, nil},
	OpTopK:       {"topk", KindTopK, 1, 2, "x [..., n] -> values [..., k] float32, indices [..., k] int64", FuseScan, nil},
	OpMaskRows:   {"mask_rows", KindTopK, 2, 1, "x [..., n] float, bits [(n+31)/32] int32 -> [..., n] float32", FuseScan, nil},
	OpGather:     {"gather", KindGather, 2, 1, "x [n, d...], idx [r] or [m, r] int32/int64 -> idx's shape + [d...] of x's dtype", 0, nil},
	OpSlice:      {"slice", KindGather, 1, 1, "x [n] or [n, d] -> [r] or [r, c] of x's dtype", 0, nil},
	OpCast:       {"cast", KindConvert, 1, 1, "x -> y: same shape, dtype Attrs.To", 0, nil},
	OpQuantize:   {"quantize", KindConvert, 1, 2, "x [n, d] float -> q [n, d] int8, scales [n] float32", 0, nil},
	OpDequantize: {"dequantize", KindConvert, 2, 1, "q [n, d] int8, scales [n] float32 -> [n, d] float32", FuseScan | FuseNormMatMul, nil},
	OpCustom:     {"custom", KindCustom, Variadic, Variadic, "as the kernel's KernelSpec says", 0, nil},

	OpFusedElementwise: {"fused_elementwise", KindFused, Variadic, 1, "the inputs of a chain -> the shape and dtype of its last op", 0, nil},
	OpNormMatMul:       {"norm_matmul", KindFused, Variadic, 1, "a [m, k], b [n, k] (int8 and scales [n] with Attrs.Quantize) -> [m, n] float32", 0, nil},
	OpScanTopK:         {"scan_topk", KindFused, Variadic, 2, "q [m, d], x [n, d] (int8 and scales [n] with Attrs.Quantize; bits [(n+31)/32] int32 with Attrs.Mask) -> values [m, k] float32, indices [m, k] int64", 0, nil},
	OpMatMulEpilogue:   {"matmul_epilogue", KindFused, Variadic, 1, "a [m, k], b [k, n] (either transposed), the program's other inputs -> [m, n] float32", 0, nil},
}

// Info returns o's row of the op table (the zero OpInfo for a value that
// is no op).
func (o Op) Info() OpInfo {
	if o > OpInvalid && int(o) < len(opTable) {
		return opTable[o]
	}
	return OpInfo{}
}

func (o Op) String() string {
	if int(o) < len(opTable) && opTable[o].Name != "" {
		return opTable[o].Name
	}
	return fmt.Sprintf("op(%d)", o)
}

// Ops returns every op, in enum order (for tests, docs and generators
// that must cover them all).
func Ops() []Op {
	ops := make([]Op, 0, numOps-1)
	for o := OpInvalid + 1; o < numOps; o++ {
		ops = append(ops, o)
	}
	return ops
}

// IsUnary reports whether o is a one-input element-wise op.
func (o Op) IsUnary() bool { return o.IsElementwise() && o.Info().Inputs == 1 }

// IsBinary reports whether o is a two-input element-wise op.
func (o Op) IsBinary() bool { return o.IsElementwise() && o.Info().Inputs == 2 }

// IsElementwise reports whether o is a primitive element-wise op (unary,
// binary, FMA); OpFusedElementwise is fused, not element-wise.
func (o Op) IsElementwise() bool { return o.Info().Kind == KindElementwise }

// IsReduction reports whether o reduces along an axis.
func (o Op) IsReduction() bool { return o.Info().Kind == KindReduction }

// IsFused reports whether o is built only by the scheduler's fusion
// passes, where the backend says it runs it.
func (o Op) IsFused() bool { return o.Info().Kind == KindFused }

// IsPrimitive reports whether o is an op the builders make and every
// backend runs: neither fused nor custom.
func (o Op) IsPrimitive() bool {
	k := o.Info().Kind
	return k != KindInvalid && k != KindCustom && k != KindFused
}

// FusedBy reports whether fusion pass f may absorb o into a fused step.
func (o Op) FusedBy(f Fusion) bool { return o.Info().Fusion&f != 0 }

// checkArity fails unless a node of o with in inputs and out outputs
// agrees with the op table.
func (o Op) checkArity(in, out int) error {
	r := o.Info()
	if r.Kind == KindInvalid {
		return fmt.Errorf("engine: %s is not an op", o)
	}
	if (r.Inputs != Variadic && in != r.Inputs) || (r.Outputs != Variadic && out != r.Outputs) {
		return fmt.Errorf("engine: %s has %d inputs and %d outputs; the op table says %d and %d", o, in, out, r.Inputs, r.Outputs)
	}
	return nil
}

// Metric is the score of a fused scan (Attrs.Metric of OpScanTopK). It is
// the engine's one definition of a search metric: the store's Cosine, Dot
// and L2 map to it (cosine is MetricDot over normalized rows).
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

// Larger reports whether a larger score is closer (MetricDot), as TopK's
// largest flag wants it; under MetricL2 a smaller one is.
func (m Metric) Larger() bool { return m != MetricL2 }

// Attrs holds the attributes of a step. Each op reads only the fields its
// comment in the Op enum names; the others stay zero, so that two steps
// with equal attributes compare equal.
type Attrs struct {
	Axis     int      // reductions
	K        int      // OpTopK, OpScanTopK: the number of results per row
	Largest  bool     // OpTopK, OpScanTopK: the largest first (else smallest); OpMaskRows: failing rows -Inf (else +Inf)
	TransA   bool     // OpMatMul, OpMatMulEpilogue
	TransB   bool     // OpMatMul, OpMatMulEpilogue
	NormA    bool     // OpNormMatMul, OpScanTopK: normalize rows of the first input
	NormB    bool     // OpNormMatMul, OpScanTopK: normalize rows of the second input
	Metric   Metric   // OpScanTopK
	Quantize bool     // OpNormMatMul, OpScanTopK: the second input is Int8 with row scales
	Mask     bool     // OpScanTopK: the last input is a row bitmap (OpMaskRows)
	Scalar   float32  // OpScale; OpAttention: the factor of the scores
	Eps      float32  // OpLayerNorm: added to the variance
	Heads    int      // OpAttention: the number of heads
	Segments []int    // OpAttention, OpSegmentSum, OpSegmentMax: the lengths of the packed sequences
	To       DType    // OpCast
	Rows     [2]int   // OpSlice: [start, end)
	Cols     [2]int   // OpSlice: [start, end) for 2-D inputs
	Program  *Program // OpFusedElementwise, OpMatMulEpilogue
	Kernel   *Kernel  // OpCustom
	Params   []int64  // OpCustom: the kernel's integer parameters
}

// appendKey appends a compact rendering of every attribute to b: the part
// of a plan signature that tells steps of one op apart.
func (a *Attrs) appendKey(b []byte) []byte {
	flags := 0
	for i, f := range []bool{a.Largest, a.TransA, a.TransB, a.NormA, a.NormB, a.Quantize, a.Mask} {
		if f {
			flags |= 1 << i
		}
	}
	for _, v := range []int{a.Axis, a.K, flags, int(a.Metric), int(math.Float32bits(a.Scalar)), int(math.Float32bits(a.Eps)), int(a.To),
		a.Rows[0], a.Rows[1], a.Cols[0], a.Cols[1]} {
		b = strconv.AppendInt(b, int64(v), 10)
		b = append(b, ',')
	}
	if a.Heads != 0 || a.Segments != nil {
		b = strconv.AppendInt(b, int64(a.Heads), 10)
		for _, l := range a.Segments {
			b = append(b, '/')
			b = strconv.AppendInt(b, int64(l), 10)
		}
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
