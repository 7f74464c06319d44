package kernels

import "github.com/silica-go/silica/engine"

// rowThreads is the threadgroup size of the one-SIMD-group-per-row
// kernels: 8 rows per threadgroup.
const rowThreads = 256

// floatTypes are the float storage types every float kernel has.
var floatTypes = []engine.DType{engine.Float32, engine.Float16, engine.BFloat16}

func init() {
	for _, dt := range floatTypes {
		register(&Kernel{
			Name: Name("normalize", "rows", dt, ""), Family: "normalize", Ops: []engine.Op{engine.OpNormalize},
			Threads: rowThreads,
			Buffers: []Binding{{0, "x", Input, false}, {1, "y", Output, true}, {2, "p", Params, false}},
		})
	}
	for _, dt := range append(floatTypes, engine.Int8) {
		for _, v := range []string{"invnorm", "sqnorm"} {
			if dt == engine.Int8 && v == "sqnorm" {
				continue // L2 over int8 rows runs in the fused scan only
			}
			op := engine.OpNormMatMul // invnorm: the factor that normalizes a row
			if v == "sqnorm" {
				op = engine.OpL2Distance
			}
			k := &Kernel{
				Name: Name("normalize", v, dt, ""), Family: "normalize",
				Ops:     []engine.Op{op},
				Threads: rowThreads,
				Buffers: []Binding{{0, "x", Input, false}, {1, "out", Scratch, true}, {2, "p", Params, false}},
			}
			if dt == engine.Int8 {
				k.Buffers = append(k.Buffers, Binding{3, "scales", Input, false})
			}
			register(k)
		}
	}
	lowerings[engine.OpNormalize] = lowering{lower: lowerNormalize}
}

// RowsParams packs silica.h's RowsParams {uint rows; uint cols;}.
func RowsParams(rows, cols int) []byte { return params(rows, cols) }

func lowerNormalize(s *engine.Step, in, out []engine.Value) (*Launch, error) {
	x := in[0]
	d := x.Shape[len(x.Shape)-1]
	rows := x.Shape.Size() / d
	k, err := mustKernel(Name("normalize", "rows", x.DType, ""))
	if err != nil {
		return nil, err
	}
	return single(dispatch(k, groups1(ceilDiv(rows, rowThreads/32)),
		[]Arg{argIn(0), argOut(0), argParams(RowsParams(rows, d))})), nil
}

// rowNorms returns the dispatch that writes per-row factors of x (step
// input operand) into scratch buffer dst: variant "invnorm" (the factor
// that normalizes a row) or "sqnorm" (the squared norm). scales is the
// step input holding int8 row scales, or -1.
func rowNorms(variant string, x engine.Value, operand, scales, dst int) (Dispatch, error) {
	k, err := mustKernel(Name("normalize", variant, x.DType, ""))
	if err != nil {
		return Dispatch{}, err
	}
	rows, cols := x.Shape[0], x.Shape[1]
	args := []Arg{argIn(operand), argScratch(dst), argParams(RowsParams(rows, cols))}
	if scales >= 0 {
		args = append(args, argIn(scales))
	}
	return dispatch(k, groups1(ceilDiv(rows, rowThreads/32)), args), nil
}
