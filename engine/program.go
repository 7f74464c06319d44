package engine

import (
	"fmt"
	"math"
	"strings"
)

// Program is a fused chain of element-wise ops, the body of an
// OpFusedElementwise step. Registers 0 to NumInputs-1 hold the step's
// inputs (broadcast to the output shape, converted to float32); register
// NumInputs+i holds the result of Instrs[i]; the last register is the
// output, rounded to the step's output dtype. All arithmetic is float32.
//
// Backends run a Program either by interpreting it (cpu) or by generating
// one kernel from it (cuda, metal: Source prints it as C, which both CUDA C
// and MSL accept), and cache the compiled kernel by Program.String().
type Program struct {
	NumInputs int
	Instrs    []Instr
}

// Instr is one element-wise op of a Program. Args are register numbers;
// a unary op reads Args[0], a binary op Args[0] and Args[1], OpFMA all
// three (Args[0]*Args[1] + Args[2]). Scalar is OpScale's factor.
type Instr struct {
	Op     Op
	Args   [3]int
	Scalar float32
}

// NumRegs returns the number of registers the program uses.
func (p *Program) NumRegs() int { return p.NumInputs + len(p.Instrs) }

// String is a compact, unique rendering used in plan signatures and
// kernel cache keys, e.g. "in3;mul(0,1);add(3,2)".
func (p *Program) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "in%d", p.NumInputs)
	for _, in := range p.Instrs {
		b.WriteString(";")
		b.WriteString(in.Op.String())
		switch {
		case in.Op == OpFMA:
			fmt.Fprintf(&b, "(%d,%d,%d)", in.Args[0], in.Args[1], in.Args[2])
		case in.Op.IsBinary():
			fmt.Fprintf(&b, "(%d,%d)", in.Args[0], in.Args[1])
		case in.Op == OpScale:
			fmt.Fprintf(&b, "(%d,%x)", in.Args[0], math.Float32bits(in.Scalar))
		default:
			fmt.Fprintf(&b, "(%d)", in.Args[0])
		}
	}
	return b.String()
}

// Source returns the program as C statements over float registers named
// r0, r1, ...: the inputs r0..r(NumInputs-1) must be declared and loaded
// by the caller, the statements declare the rest, and the result is in the
// register named by the second return value. The functions it calls are
// the C names of the math library (sqrtf, expf, logf, fmaf, fmaxf, fminf,
// fabsf, rsqrtf) and __int_as_float (a float from its bits), which CUDA
// provides and the Metal kernels define as inline aliases
// (kernels/metal/silica.h); NaN propagation for max/min is written out
// explicitly. An op it has no expression for prints a comment that fails
// the compile (TestChainTakesEveryElementwiseOp checks every op has one).
func (p *Program) Source() (string, string) {
	var b strings.Builder
	r := func(i int) string { return fmt.Sprintf("r%d", i) }
	for i, in := range p.Instrs {
		dst := r(p.NumInputs + i)
		a, c, d := r(in.Args[0]), r(in.Args[1]), r(in.Args[2])
		var e string
		switch in.Op {
		case OpNeg:
			e = "-" + a
		case OpAbs:
			e = "fabsf(" + a + ")"
		case OpSqrt:
			e = "sqrtf(" + a + ")"
		case OpRsqrt:
			e = "rsqrtf(" + a + ")"
		case OpExp:
			e = "expf(" + a + ")"
		case OpLog:
			e = "logf(" + a + ")"
		case OpScale:
			e = fmt.Sprintf("%s * __int_as_float(0x%08x)", a, math.Float32bits(in.Scalar))
		case OpAdd:
			e = a + " + " + c
		case OpSub:
			e = a + " - " + c
		case OpMul:
			e = a + " * " + c
		case OpDiv:
			e = a + " / " + c
		case OpMax:
			e = fmt.Sprintf("(%s != %s || %s != %s) ? (%s + %s) : fmaxf(%s, %s)", a, a, c, c, a, c, a, c)
		case OpMin:
			e = fmt.Sprintf("(%s != %s || %s != %s) ? (%s + %s) : fminf(%s, %s)", a, a, c, c, a, c, a, c)
		case OpFMA:
			e = fmt.Sprintf("fmaf(%s, %s, %s)", a, c, d)
		default:
			e = "/* unsupported " + in.Op.String() + " */"
		}
		fmt.Fprintf(&b, "float %s = %s;\n", dst, e)
	}
	return b.String(), r(p.NumRegs() - 1)
}

// Eval computes the program for one element: in holds the input values
// (len NumInputs); regs is scratch of at least NumRegs() floats. It is the
// scalar reference the backends' kernels are checked against.
func (p *Program) Eval(in []float32, regs []float32) float32 {
	copy(regs, in)
	for i, ins := range p.Instrs {
		regs[p.NumInputs+i] = ApplyElementwise(ins.Op, ins.Scalar,
			regs[ins.Args[0]], regs[ins.Args[1]], regs[ins.Args[2]])
	}
	return regs[p.NumRegs()-1]
}

// ApplyElementwise computes one element-wise op on float32 operands (b and
// c are ignored by ops that do not read them). It defines the semantics of
// every element-wise op, NaN and infinities included.
func ApplyElementwise(op Op, scalar, a, b, c float32) float32 {
	switch op {
	case OpNeg:
		return -a
	case OpAbs:
		return float32(math.Abs(float64(a)))
	case OpSqrt:
		return float32(math.Sqrt(float64(a)))
	case OpRsqrt:
		return float32(1 / math.Sqrt(float64(a)))
	case OpExp:
		return float32(math.Exp(float64(a)))
	case OpLog:
		return float32(math.Log(float64(a)))
	case OpScale:
		return a * scalar
	case OpAdd:
		return a + b
	case OpSub:
		return a - b
	case OpMul:
		return a * b
	case OpDiv:
		return a / b
	case OpMax:
		if a != a || b != b {
			return a + b
		}
		return max(a, b)
	case OpMin:
		if a != a || b != b {
			return a + b
		}
		return min(a, b)
	case OpFMA:
		return float32(math.FMA(float64(a), float64(b), float64(c)))
	}
	return float32(math.NaN())
}
