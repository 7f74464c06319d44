package cpu

import (
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
// segment, not per element.
func elementwiseKernel(c *Backend, s *engine.Step, in, out []arg) error {
	prog := s.Attrs.Program
	if prog == nil {
		ins := engine.Instr{Op: s.Op, Scalar: s.Attrs.Scalar}
		for j := range in {
			ins.Args[j] = j
		}
		prog = &engine.Program{NumInputs: len(in), Instrs: []engine.Instr{ins}}
	}
	o := out[0]
	strides := make([][engine.MaxRank]int, len(in))
	var dims [engine.MaxRank]int
	for j, a := range in {
		strides[j], dims = engine.BroadcastStrides(a.Shape, o.Shape)
	}
	inner := dims[3]
	segs := (inner + segment - 1) / segment
	rows := dims[0] * dims[1] * dims[2]
	c.parallelFor(rows*segs, max(1, 8192/min(inner, segment)), func(lo, hi int) {
		regs := make([][]float32, prog.NumRegs())
		scratch := make([][]float32, len(in))
		for r := range regs {
			regs[r] = make([]float32, segment)
		}
		for j := range scratch {
			scratch[j] = make([]float32, segment)
		}
		for w := lo; w < hi; w++ {
			row, seg := w/segs, w%segs
			i0, i1, i2 := row/(dims[1]*dims[2]), row/dims[2]%dims[1], row%dims[2]
			start := seg * segment
			n := min(segment, inner-start)
			for j, a := range in {
				st := strides[j]
				base := i0*st[0] + i1*st[1] + i2*st[2]
				if st[3] == 0 {
					v := load(a.DType, a.b, base, 1, scratch[j])[0]
					r := regs[j][:n]
					for k := range r {
						r[k] = v
					}
				} else {
					copy(regs[j][:n], load(a.DType, a.b, base+start, n, scratch[j]))
				}
			}
			for k, ins := range prog.Instrs {
				run(ins, regs, prog.NumInputs+k, n)
			}
			store(o.DType, o.b, row*inner+start, regs[len(regs)-1][:n])
		}
	})
	return nil
}

// run computes one instruction over n lanes of the registers.
func run(ins engine.Instr, regs [][]float32, dst, n int) {
	d := regs[dst][:n]
	a := regs[ins.Args[0]][:n]
	b := regs[ins.Args[1]][:n]
	switch ins.Op {
	case engine.OpAdd:
		for i := range d {
			d[i] = a[i] + b[i]
		}
	case engine.OpSub:
		for i := range d {
			d[i] = a[i] - b[i]
		}
	case engine.OpMul:
		for i := range d {
			d[i] = a[i] * b[i]
		}
	case engine.OpDiv:
		for i := range d {
			d[i] = a[i] / b[i]
		}
	case engine.OpScale:
		s := ins.Scalar
		for i := range d {
			d[i] = a[i] * s
		}
	case engine.OpNeg:
		for i := range d {
			d[i] = -a[i]
		}
	default:
		c := regs[ins.Args[2]][:n]
		for i := range d {
			d[i] = engine.ApplyElementwise(ins.Op, ins.Scalar, a[i], b[i], c[i])
		}
	}
}
