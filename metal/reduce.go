package kernels

import "github.com/silica-go/silica/engine"

// reduceThreads is the threadgroup size of the reduce kernels.
const reduceThreads = 256

var reduceVariants = map[engine.Op]string{engine.OpSum: "sum", engine.OpReduceMax: "max", engine.OpNorm: "norm"}

func init() {
	for op, v := range reduceVariants {
		for _, layout := range []string{"last", "strided"} {
			for _, dt := range floatTypes {
				register(&Kernel{
					Name: Name("reduce", v+"_"+layout, dt, ""), Family: "reduce", Ops: []engine.Op{op},
					Threads: reduceThreads,
					Buffers: []Binding{{0, "x", Input, false}, {1, "y", Output, true}, {2, "p", Params, false}},
				})
			}
		}
		lowerings[op] = lowering{supports: elementwiseFits, lower: lowerReduce}
	}
}

// ReduceParams packs silica.h's ReduceParams {uint outer, length, inner;}.
func ReduceParams(outer, length, inner int) []byte { return params(outer, length, inner) }

func lowerReduce(s *engine.Step, in, out []engine.Value) (*Launch, error) {
	x := in[0]
	ax := s.Attrs.Axis
	outer, length, inner := engine.AxisView(x.Shape, ax)
	layout, groups := "last", ceilDiv(outer, reduceThreads/32)
	if inner > 1 {
		layout, groups = "strided", ceilDiv(outer*inner, reduceThreads)
	}
	k, err := mustKernel(Name("reduce", reduceVariants[s.Op]+"_"+layout, x.DType, ""))
	if err != nil {
		return nil, err
	}
	return single(dispatch(k, groups1(groups), []Arg{argIn(0), argOut(0), argParams(ReduceParams(outer, length, inner))})), nil
}
