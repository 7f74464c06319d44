package kernels

import (
	"encoding/binary"
	"fmt"
	"math"

	"github.com/silica-go/silica/engine"
)

// lowering turns one step into a Launch; in and out are the step's input
// and output values.
type lowering struct {
	supports func(a *engine.Attrs, in []engine.Value) bool
	lower    func(s *engine.Step, in, out []engine.Value) (*Launch, error)
}

var lowerings = map[engine.Op]lowering{}

// Supports reports whether the Metal kernels implement op with these
// attributes and inputs (for the backend's engine.Capabilities): false for
// an op without kernels, a fused scan with k above MaxScanK, a fused
// element-wise chain with more inputs than MaxFusedInputs.
func Supports(op engine.Op, a *engine.Attrs, in []engine.Value) bool {
	l, ok := lowerings[op]
	if !ok {
		return false
	}
	return l.supports == nil || l.supports(a, in)
}

// Lower returns how step s runs on the Metal kernels. in and out are the
// values of s.In and s.Out (plan.Values[s.In[i]] ...). An op or an
// attribute the kernels do not implement is an error wrapping
// engine.ErrUnsupported.
func Lower(s *engine.Step, in, out []engine.Value) (*Launch, error) {
	l, ok := lowerings[s.Op]
	if !ok || (l.supports != nil && !l.supports(&s.Attrs, in)) {
		return nil, fmt.Errorf("%w: no Metal kernel for %s", engine.ErrUnsupported, engine.DescribeStep(s))
	}
	if len(in) != len(s.In) || len(out) != len(s.Out) {
		return nil, fmt.Errorf("kernels: %s: %d input and %d output values for a step with %d and %d",
			s.Op, len(in), len(out), len(s.In), len(s.Out))
	}
	return l.lower(s, in, out)
}

// params packs a params struct: each field a uint32, int32 or float32,
// little-endian, in order (the MSL structs in silica.h use only 4-byte
// fields, so there is no padding).
func params(fields ...any) []byte {
	b := make([]byte, 0, 4*len(fields))
	for _, f := range fields {
		var u uint32
		switch v := f.(type) {
		case uint32:
			u = v
		case int:
			if v < 0 || v > math.MaxUint32 {
				panic(fmt.Sprintf("kernels: params field %d out of uint32 range", v))
			}
			u = uint32(v)
		case int32:
			u = uint32(v)
		case float32:
			u = math.Float32bits(v)
		case bool:
			if v {
				u = 1
			}
		default:
			panic(fmt.Sprintf("kernels: params field of type %T", f))
		}
		b = binary.LittleEndian.AppendUint32(b, u)
	}
	return b
}

// ceilDiv returns ⌈a/b⌉.
func ceilDiv(a, b int) int { return (a + b - 1) / b }

// args builds a dispatch's Args from the kernel's bindings: operands are
// listed in binding order for the Input, Output and Scratch roles.
func dispatch(k *Kernel, groups [3]int, ops []Arg) Dispatch {
	return Dispatch{Kernel: k, Groups: groups, Args: ops}
}

// in, out, scratch and param make the Args of a dispatch.
func argIn(i int) Arg           { return Arg{Role: Input, Operand: i} }
func argOut(i int) Arg          { return Arg{Role: Output, Operand: i} }
func argScratch(i int) Arg      { return Arg{Role: Scratch, Operand: i} }
func argParams(b []byte) Arg    { return Arg{Role: Params, Bytes: b} }
func groups1(n int) [3]int      { return [3]int{max(n, 1), 1, 1} }
func groups2(x, y int) [3]int   { return [3]int{max(x, 1), max(y, 1), 1} }
func single(d Dispatch) *Launch { return &Launch{Status: -1, Dispatches: []Dispatch{d}} }
