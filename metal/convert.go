package kernels

import "github.com/silica-go/silica/engine"

// allTypes are the dtypes a cast converts between.
var allTypes = []engine.DType{engine.Float32, engine.Float16, engine.BFloat16, engine.Int8, engine.Int32, engine.Int64}

func init() {
	for _, from := range allTypes {
		for _, to := range allTypes {
			if to == from {
				continue // the engine never casts to the same type
			}
			register(&Kernel{
				Name: Name("convert", "cast", from, to.String()), Family: "convert", Ops: []engine.Op{engine.OpCast},
				Threads: copyThreads,
				Buffers: []Binding{{0, "x", Input, false}, {1, "y", Output, true}, {2, "p", Params, false}},
			})
		}
	}
	for _, dt := range floatTypes {
		register(&Kernel{
			Name: Name("convert", "quantize", dt, ""), Family: "convert", Ops: []engine.Op{engine.OpQuantize},
			Threads: rowThreads,
			Buffers: []Binding{{0, "x", Input, false}, {1, "q", Output, true}, {2, "scales", Output, true}, {3, "p", Params, false}},
		})
	}
	register(&Kernel{
		Name: Name("convert", "dequantize", engine.Int8, ""), Family: "convert", Ops: []engine.Op{engine.OpDequantize},
		Threads: copyThreads,
		Buffers: []Binding{{0, "q", Input, false}, {1, "scales", Input, false}, {2, "y", Output, true}, {3, "p", Params, false}},
	})
	lowerings[engine.OpCast] = lowering{supports: elementwiseFits, lower: lowerCast}
	lowerings[engine.OpQuantize] = lowering{lower: lowerQuantize}
	lowerings[engine.OpDequantize] = lowering{supports: elementwiseFits, lower: lowerDequantize}
}

// CastParams packs silica.h's CastParams {uint n;}.
func CastParams(n int) []byte { return params(n) }

func lowerCast(s *engine.Step, in, out []engine.Value) (*Launch, error) {
	k, err := mustKernel(Name("convert", "cast", in[0].DType, out[0].DType.String()))
	if err != nil {
		return nil, err
	}
	n := in[0].Shape.Size()
	return single(dispatch(k, groups1(ceilDiv(n, copyThreads)), []Arg{argIn(0), argOut(0), argParams(CastParams(n))})), nil
}

func lowerQuantize(s *engine.Step, in, out []engine.Value) (*Launch, error) {
	k, err := mustKernel(Name("convert", "quantize", in[0].DType, ""))
	if err != nil {
		return nil, err
	}
	rows, cols := in[0].Shape[0], in[0].Shape[1]
	return single(dispatch(k, groups1(ceilDiv(rows, rowThreads/32)),
		[]Arg{argIn(0), argOut(0), argOut(1), argParams(RowsParams(rows, cols))})), nil
}

func lowerDequantize(s *engine.Step, in, out []engine.Value) (*Launch, error) {
	k, err := mustKernel(Name("convert", "dequantize", engine.Int8, ""))
	if err != nil {
		return nil, err
	}
	rows, cols := in[0].Shape[0], in[0].Shape[1]
	return single(dispatch(k, groups1(ceilDiv(rows*cols, copyThreads)),
		[]Arg{argIn(0), argIn(1), argOut(0), argParams(RowsParams(rows, cols))})), nil
}
