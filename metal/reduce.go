package metal

import (
	"github.com/silica-go/silica/engine"
	"github.com/silica-go/silica/kernels"
)

// reduceThreads is the threadgroup size of the reduce kernels.
const reduceThreads = 256

var reduceVariants = map[engine.Op]string{engine.OpSum: "sum", engine.OpReduceMax: "max", engine.OpNorm: "norm"}

func init() {
	for op, v := range reduceVariants {
		for _, layout := range []string{"last", "strided"} {
			for _, dt := range floatTypes {
				register(&mslKernel{
					Name: kernels.Name("reduce", v+"_"+layout, dt, ""), Family: "reduce", Ops: []engine.Op{op},
					Threads: reduceThreads,
					Buffers: []binding{{0, "x", roleInput, false}, {1, "y", roleOutput, true}, {2, "p", roleParams, false}},
				})
			}
		}
		stepKernels[op] = reduceKernel
		fits[op] = elementwiseFits
	}
}

// reduceParams packs silica.h's ReduceParams {uint outer, length, inner;}.
func reduceParams(outer, length, inner int) []byte { return params(outer, length, inner) }

func reduceKernel(b *batch, s *engine.Step, in, out []engine.Value) error {
	x := in[0]
	ax := s.Attrs.Axis
	outer, length, inner := engine.AxisView(x.Shape, ax)
	layout, groups := "last", ceilDiv(outer, reduceThreads/32)
	if inner > 1 {
		layout, groups = "strided", ceilDiv(outer*inner, reduceThreads)
	}
	k, err := mustKernel(kernels.Name("reduce", reduceVariants[s.Op]+"_"+layout, x.DType, ""))
	if err != nil {
		return err
	}
	return b.encode(single(dispatch(k, groups1(groups), []kernelArg{argIn(0), argOut(0), argParams(reduceParams(outer, length, inner))})))
}

// rowThreads is the threadgroup size of the one-SIMD-group-per-row
// kernels: 8 rows per threadgroup.
const rowThreads = 256

// floatTypes are the float storage types every float kernel has.
var floatTypes = []engine.DType{engine.Float32, engine.Float16, engine.BFloat16}

func init() {
	for _, dt := range floatTypes {
		register(&mslKernel{
			Name: kernels.Name("normalize", "rows", dt, ""), Family: "normalize", Ops: []engine.Op{engine.OpNormalize},
			Threads: rowThreads,
			Buffers: []binding{{0, "x", roleInput, false}, {1, "y", roleOutput, true}, {2, "p", roleParams, false}},
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
			k := &mslKernel{
				Name: kernels.Name("normalize", v, dt, ""), Family: "normalize",
				Ops:     []engine.Op{op},
				Threads: rowThreads,
				Buffers: []binding{{0, "x", roleInput, false}, {1, "out", roleScratch, true}, {2, "p", roleParams, false}},
			}
			if dt == engine.Int8 {
				k.Buffers = append(k.Buffers, binding{3, "scales", roleInput, false})
			}
			register(k)
		}
	}
	stepKernels[engine.OpNormalize] = normalizeKernel
	for _, dt := range floatTypes {
		register(&mslKernel{
			Name: kernels.Name("normalize", "layernorm", dt, ""), Family: "normalize", Ops: []engine.Op{engine.OpLayerNorm},
			Threads: rowThreads,
			Buffers: []binding{{0, "x", roleInput, false}, {1, "gamma", roleInput, false}, {2, "beta", roleInput, false},
				{3, "y", roleOutput, true}, {4, "p", roleParams, false}},
		})
	}
	stepKernels[engine.OpLayerNorm] = layerNormKernel
}

// layerNormParams packs normalize.metal's LayerNormParams {uint rows;
// uint cols; float eps;}.
func layerNormParams(rows, cols int, eps float32) []byte { return params(rows, cols, eps) }

// layerNormKernel runs normalize_layernorm, a SIMD group a row.
func layerNormKernel(b *batch, s *engine.Step, in, out []engine.Value) error {
	x := in[0]
	d := x.Shape[len(x.Shape)-1]
	rows := x.Shape.Size() / d
	k, err := mustKernel(kernels.Name("normalize", "layernorm", x.DType, ""))
	if err != nil {
		return err
	}
	return b.encode(single(dispatch(k, groups1(ceilDiv(rows, rowThreads/32)),
		[]kernelArg{argIn(0), argIn(1), argIn(2), argOut(0), argParams(layerNormParams(rows, d, s.Attrs.Eps))})))
}

// rowsParams packs silica.h's RowsParams {uint rows; uint cols;}.
func rowsParams(rows, cols int) []byte { return params(rows, cols) }

func normalizeKernel(b *batch, s *engine.Step, in, out []engine.Value) error {
	x := in[0]
	d := x.Shape[len(x.Shape)-1]
	rows := x.Shape.Size() / d
	k, err := mustKernel(kernels.Name("normalize", "rows", x.DType, ""))
	if err != nil {
		return err
	}
	return b.encode(single(dispatch(k, groups1(ceilDiv(rows, rowThreads/32)),
		[]kernelArg{argIn(0), argOut(0), argParams(rowsParams(rows, d))})))
}

// rowNorms returns the dispatch that writes per-row factors of x (step
// input operand) into scratch buffer dst: variant "invnorm" (the factor
// that normalizes a row) or "sqnorm" (the squared norm). scales is the
// step input holding int8 row scales, or -1.
func rowNorms(variant string, x engine.Value, operand, scales, dst int) (kernelDispatch, error) {
	k, err := mustKernel(kernels.Name("normalize", variant, x.DType, ""))
	if err != nil {
		return kernelDispatch{}, err
	}
	rows, cols := x.Shape[0], x.Shape[1]
	args := []kernelArg{argIn(operand), argScratch(dst), argParams(rowsParams(rows, cols))}
	if scales >= 0 {
		args = append(args, argIn(scales))
	}
	return dispatch(k, groups1(ceilDiv(rows, rowThreads/32)), args), nil
}
