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
// register named by the second return value. Each instruction is its op's
// C expression (Elementwise.C): it calls the C names of the math library
// (expf, erff, fmaf, fmaxf, ...) and __int_as_float (a float from its
// bits), which CUDA provides and the Metal kernels define as inline
// functions (kernels/metal/silica.h: every float function of MSL's
// standard library, and erff; TestElementwiseCallsInHeader); NaN
// propagation for max/min is written out explicitly. An op with no
// expression prints a comment that fails the compile
// (TestChainTakesEveryElementwiseOp checks every op has one).
func (p *Program) Source() (string, string) {
	var b strings.Builder
	r := func(i int) string { return fmt.Sprintf("r%d", i) }
	for i, in := range p.Instrs {
		dst := r(p.NumInputs + i)
		e := "/* unsupported " + in.Op.String() + " */"
		if def := in.Op.Info().Elementwise; def != nil && def.C != "" {
			e = strings.NewReplacer("$a", r(in.Args[0]), "$b", r(in.Args[1]), "$c", r(in.Args[2]),
				"$s", fmt.Sprintf("__int_as_float(0x%08x)", math.Float32bits(in.Scalar))).Replace(def.C)
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
// c are ignored by ops that do not read them) as its op table row defines
// it (Elementwise.Eval), NaN and infinities included; NaN for an op that
// is not element-wise.
func ApplyElementwise(op Op, scalar, a, b, c float32) float32 {
	if op <= OpInvalid || op >= numOps || opTable[op].Elementwise == nil {
		return float32(math.NaN())
	}
	return float32(opTable[op].Elementwise.Eval(float64(a), float64(b), float64(c), float64(scalar)))
}
