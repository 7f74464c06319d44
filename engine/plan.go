package engine

import (
	"fmt"
	"strings"
)

// Value is one array a plan reads or writes.
type Value struct {
	Shape Shape
	DType DType
	// Slot is the buffer slot the value lives in, or -1 for a plan input
	// (an evaluated array bound at run time). Intermediates whose lifetimes
	// do not overlap share a slot; outputs never share.
	Slot int
}

// Bytes returns the value's size in bytes.
func (v Value) Bytes() int { return v.Shape.Size() * v.DType.Size() }

func (v Value) String() string { return v.DType.String() + v.Shape.String() }

// Step is one kernel launch of a plan.
type Step struct {
	Op    Op
	Attrs Attrs
	In    []int // value ids
	Out   []int // value ids
	// Host marks an OpCustom step the backend has no source for: the
	// engine runs the kernel's Go function on the host between backend
	// submissions (reading its inputs back and writing its outputs), and
	// the plan's description says so.
	Host bool
}

// Program returns the element-wise program an element-wise step runs: its
// Attrs.Program (OpFusedElementwise), or for a single element-wise op a
// one-instruction program over the step's inputs. Backends compile or
// interpret that one form.
func (s *Step) Program() *Program {
	if s.Attrs.Program != nil {
		return s.Attrs.Program
	}
	ins := Instr{Op: s.Op, Scalar: s.Attrs.Scalar}
	for j := range s.In {
		ins.Args[j] = j
	}
	return &Program{NumInputs: len(s.In), Instrs: []Instr{ins}}
}

// Plan is an evaluation the engine hands to a backend in one submission:
// steps in topological order over values, with buffer slots assigned.
// Plans are cached by Signature and reused for every graph of the same
// shape; a backend must not modify one.
type Plan struct {
	Signature string
	Values    []Value
	Steps     []Step
	Inputs    []int // value ids bound to evaluated arrays, in binding order
	Outputs   []int // value ids handed to arrays after the run
	Slots     []int // bytes of each buffer slot
	Backend   string

	outs []planOut // which node output each Outputs entry is
}

// planOut locates an output: node number in the graph's topological order
// and the output index within that node.
type planOut struct {
	node, out, value int
}

// ScratchBytes returns the bytes of every buffer slot the plan allocates
// (outputs and intermediates).
func (p *Plan) ScratchBytes() int64 {
	var n int64
	for _, s := range p.Slots {
		n += int64(s)
	}
	return n
}

// String describes the plan, one step a line, e.g.
// "scan_topk(dot normA normB k=100) v0 float32[64 768], v1 float32[100000 768] -> v2 float32[64 100], v3 int64[64 100]".
func (p *Plan) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "plan on %s: %d steps, %d inputs, %d outputs, %d slots (%d bytes)\n",
		p.Backend, len(p.Steps), len(p.Inputs), len(p.Outputs), len(p.Slots), p.ScratchBytes())
	vals := func(ids []int) string {
		s := make([]string, len(ids))
		for i, id := range ids {
			s[i] = fmt.Sprintf("v%d %s", id, p.Values[id])
		}
		return strings.Join(s, ", ")
	}
	for i, s := range p.Steps {
		fmt.Fprintf(&b, "%3d %s %s -> %s\n", i, DescribeStep(&s), vals(s.In), vals(s.Out))
	}
	return b.String()
}

// DescribeStep renders a step's op and the attributes it uses.
func DescribeStep(s *Step) string {
	a := &s.Attrs
	var parts []string
	switch {
	case s.Op == OpScale:
		parts = append(parts, fmt.Sprintf("s=%g", a.Scalar))
	case s.Op.IsReduction():
		parts = append(parts, fmt.Sprintf("axis=%d", a.Axis))
	case s.Op == OpMatMul:
		parts = append(parts, fmt.Sprintf("transA=%t transB=%t", a.TransA, a.TransB))
	case s.Op == OpMatMulEpilogue:
		parts = append(parts, fmt.Sprintf("transA=%t transB=%t", a.TransA, a.TransB), a.Program.String())
	case s.Op == OpTopK:
		parts = append(parts, fmt.Sprintf("k=%d largest=%t", a.K, a.Largest))
	case s.Op == OpMaskRows:
		parts = append(parts, fmt.Sprintf("largest=%t", a.Largest))
	case s.Op == OpSlice:
		parts = append(parts, fmt.Sprintf("rows=%v cols=%v", a.Rows, a.Cols))
	case s.Op == OpCast:
		parts = append(parts, "to="+a.To.String())
	case s.Op == OpCustom && a.Kernel != nil:
		parts = append(parts, a.Kernel.Name())
		if len(a.Params) > 0 {
			parts = append(parts, fmt.Sprintf("params=%v", a.Params))
		}
		if s.Host {
			parts = append(parts, "on the host: the backend has no source for it")
		}
	case s.Op == OpFusedElementwise:
		parts = append(parts, a.Program.String())
	case s.Op == OpNormMatMul || s.Op == OpScanTopK:
		if s.Op == OpScanTopK {
			parts = append(parts, a.Metric.String())
		}
		if a.NormA {
			parts = append(parts, "normA")
		}
		if a.NormB {
			parts = append(parts, "normB")
		}
		if a.Quantize {
			parts = append(parts, "int8")
		}
		if a.Mask {
			parts = append(parts, "mask")
		}
		if s.Op == OpScanTopK {
			parts = append(parts, fmt.Sprintf("k=%d largest=%t", a.K, a.Largest))
		}
	}
	if len(parts) == 0 {
		return s.Op.String()
	}
	return s.Op.String() + "(" + strings.Join(parts, " ") + ")"
}
