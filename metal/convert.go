package metal

import (
	"github.com/silica-go/silica/engine"
	"github.com/silica-go/silica/kernels"
)

// allTypes are the dtypes a cast converts between.
var allTypes = []engine.DType{engine.Float32, engine.Float16, engine.BFloat16, engine.Int8, engine.Int32, engine.Int64}

func init() {
	for _, from := range allTypes {
		for _, to := range allTypes {
			if to == from {
				continue // the engine never casts to the same type
			}
			register(&mslKernel{
				Name: kernels.Name("convert", "cast", from, to.String()), Family: "convert", Ops: []engine.Op{engine.OpCast},
				Threads: copyThreads,
				Buffers: []binding{{0, "x", roleInput, false}, {1, "y", roleOutput, true}, {2, "p", roleParams, false}},
			})
		}
	}
	for _, dt := range floatTypes {
		register(&mslKernel{
			Name: kernels.Name("convert", "quantize", dt, ""), Family: "convert", Ops: []engine.Op{engine.OpQuantize},
			Threads: rowThreads,
			Buffers: []binding{{0, "x", roleInput, false}, {1, "q", roleOutput, true}, {2, "scales", roleOutput, true}, {3, "p", roleParams, false}},
		})
	}
	register(&mslKernel{
		Name: kernels.Name("convert", "dequantize", engine.Int8, ""), Family: "convert", Ops: []engine.Op{engine.OpDequantize},
		Threads: copyThreads,
		Buffers: []binding{{0, "q", roleInput, false}, {1, "scales", roleInput, false}, {2, "y", roleOutput, true}, {3, "p", roleParams, false}},
	})
	stepKernels[engine.OpCast] = castKernel
	fits[engine.OpCast] = elementwiseFits
	stepKernels[engine.OpQuantize] = quantizeKernel
	stepKernels[engine.OpDequantize] = dequantizeKernel
	fits[engine.OpDequantize] = elementwiseFits
}

// castParams packs silica.h's CastParams {uint n;}.
func castParams(n int) []byte { return params(n) }

func castKernel(b *batch, s *engine.Step, in, out []engine.Value) error {
	k, err := mustKernel(kernels.Name("convert", "cast", in[0].DType, out[0].DType.String()))
	if err != nil {
		return err
	}
	n := in[0].Shape.Size()
	return b.encode(single(dispatch(k, groups1(ceilDiv(n, copyThreads)), []kernelArg{argIn(0), argOut(0), argParams(castParams(n))})))
}

func quantizeKernel(b *batch, s *engine.Step, in, out []engine.Value) error {
	k, err := mustKernel(kernels.Name("convert", "quantize", in[0].DType, ""))
	if err != nil {
		return err
	}
	rows, cols := in[0].Shape[0], in[0].Shape[1]
	return b.encode(single(dispatch(k, groups1(ceilDiv(rows, rowThreads/32)),
		[]kernelArg{argIn(0), argOut(0), argOut(1), argParams(rowsParams(rows, cols))})))
}

func dequantizeKernel(b *batch, s *engine.Step, in, out []engine.Value) error {
	k, err := mustKernel(kernels.Name("convert", "dequantize", engine.Int8, ""))
	if err != nil {
		return err
	}
	rows, cols := in[0].Shape[0], in[0].Shape[1]
	return b.encode(single(dispatch(k, groups1(ceilDiv(rows*cols, copyThreads)),
		[]kernelArg{argIn(0), argIn(1), argOut(0), argParams(rowsParams(rows, cols))})))
}
