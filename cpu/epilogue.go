package cpu

import (
	"math"
	"sync"

	"github.com/silica-go/silica/engine"
)

// epilogueWidth is the most columns of a row the epilogue interprets at
// a time: its registers (a few of this many floats) stay in the L1 cache.
const epilogueWidth = 512

// epilogue applies the program of an OpMatMulEpilogue to blocks of the
// product [m, n] once they are complete, while they are still in cache:
// register 0 is the product's element (read and written in place), the
// other inputs are Float32 views broadcast to [m, n], and the last
// register is written back over the product.
type epilogue struct {
	prog *engine.Program
	out  []float32
	n    int
	in   []epilogueInput // registers 1..NumInputs-1
	regs sync.Pool       // *epilogueRegs
}

// epilogueInput is an input register: element (i, j) is data[i*rs +
// j*cs], with cs 0 (one value a row, which fills the register) or 1 (a
// contiguous run of the row, which the register views).
type epilogueInput struct {
	data   []float32
	rs, cs int
}

// epilogueRegs is a worker's registers and the value each broadcast input
// register was last filled with.
type epilogueRegs struct {
	regs, own [][]float32
	filled    []int
	fill      []uint32
}

// newEpilogue returns the epilogue of program prog over the product out
// [m, n], its further inputs in (Float32, each broadcast to [m, n]).
func newEpilogue(prog *engine.Program, out []float32, m, n int, in []arg) *epilogue {
	e := &epilogue{prog: prog, out: out, n: n}
	shape := engine.Shape{m, n}
	for _, a := range in {
		st, _ := engine.BroadcastStrides(a.Shape, shape)
		e.in = append(e.in, epilogueInput{data: f32(a.b)[:a.Shape.Size()], rs: st[engine.MaxRank-2], cs: st[engine.MaxRank-1]})
	}
	e.regs.New = func() any {
		r := &epilogueRegs{regs: make([][]float32, prog.NumRegs()), own: make([][]float32, prog.NumRegs()),
			filled: make([]int, prog.NumInputs), fill: make([]uint32, prog.NumInputs)}
		for j := 1; j < prog.NumRegs()-1; j++ {
			if j >= prog.NumInputs || e.in[j-1].cs == 0 {
				r.own[j] = make([]float32, epilogueWidth)
			}
		}
		return r
	}
	return e
}

// apply runs the program over rows i0..i1, columns j0..j1 of the product.
func (e *epilogue) apply(i0, i1, j0, j1 int) {
	r := e.regs.Get().(*epilogueRegs)
	defer e.regs.Put(r)
	prog, regs := e.prog, r.regs
	last := prog.NumRegs() - 1
	for i := i0; i < i1; i++ {
		for c0 := j0; c0 < j1; c0 += epilogueWidth {
			w := min(epilogueWidth, j1-c0)
			row := e.out[i*e.n+c0 : i*e.n+c0+w]
			regs[0] = row
			for j, x := range e.in {
				base := i*x.rs + c0*x.cs
				if x.cs == 1 {
					regs[j+1] = x.data[base : base+w]
					continue
				}
				v := x.data[base]
				reg := r.own[j+1][:w]
				if r.filled[j+1] < w || math.Float32bits(v) != r.fill[j+1] {
					for k := range reg {
						reg[k] = v
					}
					r.filled[j+1], r.fill[j+1] = w, math.Float32bits(v)
				}
				regs[j+1] = reg
			}
			for j := prog.NumInputs; j < last; j++ {
				regs[j] = r.own[j][:w]
			}
			if last >= prog.NumInputs { // a program of at least one instruction
				regs[last] = row
			}
			for k, ins := range prog.Instrs {
				run(ins, regs, prog.NumInputs+k)
			}
		}
	}
}

// epilogueFits reports whether the cpu runs an OpMatMulEpilogue of these
// inputs: the operands of a MatMul, then Float32 inputs of at most two
// dimensions (broadcast to the product), and a program whose output is
// its last instruction's.
func epilogueFits(attrs *engine.Attrs, in []engine.Value) bool {
	p := attrs.Program
	if p == nil || len(in) < 2 || p.NumInputs != len(in)-1 || len(p.Instrs) == 0 {
		return false
	}
	for _, v := range in[2:] {
		if v.DType != engine.Float32 || len(v.Shape) > 2 {
			return false
		}
	}
	return true
}
