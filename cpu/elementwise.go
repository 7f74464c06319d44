package cpu

import (
	"math"

	"github.com/silica-go/silica/engine"
)

func init() {
	for _, op := range engine.Ops() {
		if op.IsElementwise() {
			kernels[op] = elementwiseKernel
		}
	}
	kernels[engine.OpFusedElementwise] = elementwiseKernel
}

// segment is the number of elements a worker processes at a time: the
// registers of a program are vectors of this length.
const segment = 2048

// elementwiseKernel runs a single element-wise op or a fused Program. It
// interprets the program a vector at a time: each register is a segment
// of float32 values, so the interpreter's dispatch is paid once per
// segment, not per element. Float32 inputs and outputs are used in place
// (an input register is a view of the input, the last register a view of
// the output); other dtypes are converted through scratch.
func elementwiseKernel(c *Backend, s *engine.Step, in, out []arg) error {
	prog := s.Program()
	o := out[0]
	strides := make([][engine.MaxRank]int, len(in))
	var dims [engine.MaxRank]int
	for j, a := range in {
		strides[j], dims = engine.BroadcastStrides(a.Shape, o.Shape)
	}
	inner := dims[3]
	segs := (inner + segment - 1) / segment
	rows := dims[0] * dims[1] * dims[2]
	last := prog.NumRegs() - 1
	c.parallelFor(rows*segs, max(1, 8192/min(inner, segment)), func(lo, hi int) {
		regs := make([][]float32, prog.NumRegs())
		own := make([][]float32, prog.NumRegs()) // storage of registers that are not views
		// A broadcast input register filled with one value keeps it (the
		// program never writes its inputs): filled[j] lanes of value
		// bits fill[j], so that a scalar such as GELU's 1 is not
		// written again for every row.
		filled, fill := make([]int, len(in)), make([]uint32, len(in))
		one := make([]float32, 1)
		for w := lo; w < hi; w++ {
			row, seg := w/segs, w%segs
			i0, i1, i2 := row/(dims[1]*dims[2]), row/dims[2]%dims[1], row%dims[2]
			start := seg * segment
			n := min(segment, inner-start)
			for j, a := range in {
				st := strides[j]
				base := i0*st[0] + i1*st[1] + i2*st[2]
				switch {
				case st[3] == 0:
					r := ownReg(own, j, n)
					v := load(a.DType, a.b, base, 1, one)[0]
					if filled[j] < n || math.Float32bits(v) != fill[j] {
						for k := range r {
							r[k] = v
						}
						filled[j], fill[j] = n, math.Float32bits(v)
					}
					regs[j] = r
				case a.DType == engine.Float32:
					regs[j] = f32(a.b)[base+start : base+start+n]
				default:
					regs[j] = load(a.DType, a.b, base+start, n, ownReg(own, j, n))
				}
			}
			for r := prog.NumInputs; r < last; r++ {
				regs[r] = ownReg(own, r, n)
			}
			if o.DType == engine.Float32 {
				regs[last] = f32(o.b)[row*inner+start:][:n]
			} else {
				regs[last] = ownReg(own, last, n)
			}
			for k, ins := range prog.Instrs {
				run(ins, regs, prog.NumInputs+k)
			}
			if o.DType != engine.Float32 {
				store(o.DType, o.b, row*inner+start, regs[last])
			}
		}
	})
	return nil
}

// ownReg returns n floats of register r's own storage, allocating it on
// first use.
func ownReg(own [][]float32, r, n int) []float32 {
	if own[r] == nil {
		own[r] = make([]float32, segment)
	}
	return own[r][:n]
}

// run computes one instruction over the lanes of the registers (all of
// one length). Each case computes exactly engine.ApplyElementwise, except
// exp and erf (expF32, erfF32: within 1 and 2 ulps of it, several times
// faster).
func run(ins engine.Instr, regs [][]float32, dst int) {
	d := regs[dst]
	a := regs[ins.Args[0]][:len(d)]
	b := regs[ins.Args[1]][:len(d)]
	switch ins.Op {
	case engine.OpAdd:
		addVec(d, a, b)
	case engine.OpSub:
		subVec(d, a, b)
	case engine.OpMul:
		mulVec(d, a, b)
	case engine.OpDiv:
		divVec(d, a, b)
	case engine.OpScale:
		scale(d, a, ins.Scalar)
	case engine.OpNeg:
		for i := range d {
			d[i] = -a[i]
		}
	case engine.OpAbs:
		for i := range d {
			d[i] = math.Float32frombits(math.Float32bits(a[i]) &^ (1 << 31))
		}
	case engine.OpSqrt:
		for i := range d {
			d[i] = float32(math.Sqrt(float64(a[i])))
		}
	case engine.OpFMA:
		fma(d, a, b, regs[ins.Args[2]][:len(d)])
	case engine.OpExp:
		expVec(d, a)
	case engine.OpErf:
		erfVec(d, a)
	case engine.OpRsqrt:
		for i := range d {
			d[i] = float32(1 / math.Sqrt(float64(a[i])))
		}
	default:
		c := regs[ins.Args[2]][:len(d)]
		for i := range d {
			d[i] = engine.ApplyElementwise(ins.Op, ins.Scalar, a[i], b[i], c[i])
		}
	}
}

// fmaGo is the portable fused multiply-add, as engine.ApplyElementwise
// defines it: the product and sum in float64, rounded once to float32.
func fmaGo(d, a, b, c []float32) {
	a, b, c = a[:len(d)], b[:len(d)], c[:len(d)]
	for i := range d {
		d[i] = float32(math.FMA(float64(a[i]), float64(b[i]), float64(c[i])))
	}
}

// scaleGo is the portable d = a * s.
func scaleGo(d, a []float32, s float32) {
	a = a[:len(d)]
	for i := range d {
		d[i] = a[i] * s
	}
}

// affineGo is the portable d = a*s + t, one rounding (an FMA), as
// affineAVX2 computes it.
func affineGo(d, a []float32, s, t float32) {
	a = a[:len(d)]
	for i := range d {
		d[i] = float32(math.FMA(float64(a[i]), float64(s), float64(t)))
	}
}

// The portable binary kernels, d[i] = a[i] op b[i] in float32 (exactly
// engine.ApplyElementwise's: the float64 result of two float32 operands
// rounds to the float32 one).
func addGo(d, a, b []float32) {
	a, b = a[:len(d)], b[:len(d)]
	for i := range d {
		d[i] = a[i] + b[i]
	}
}

func subGo(d, a, b []float32) {
	a, b = a[:len(d)], b[:len(d)]
	for i := range d {
		d[i] = a[i] - b[i]
	}
}

func mulGo(d, a, b []float32) {
	a, b = a[:len(d)], b[:len(d)]
	for i := range d {
		d[i] = a[i] * b[i]
	}
}

func divGo(d, a, b []float32) {
	a, b = a[:len(d)], b[:len(d)]
	for i := range d {
		d[i] = a[i] / b[i]
	}
}
