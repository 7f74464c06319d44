package kernels

import "github.com/silica-go/silica/engine"

// copyThreads is the threadgroup size of the copy kernels.
const copyThreads = 256

func init() {
	for _, dt := range allTypes {
		for _, idx := range []engine.DType{engine.Int32, engine.Int64} {
			register(&Kernel{
				Name: Name("gather", "rows", dt, idx.String()), Family: "gather", Ops: []engine.Op{engine.OpGather},
				Threads: copyThreads,
				Buffers: []Binding{{0, "x", Input, false}, {1, "idx", Input, false}, {2, "y", Output, true},
					{3, "p", Params, false}, {4, "status", Scratch, true}},
			})
		}
		register(&Kernel{
			Name: Name("gather", "slice", dt, ""), Family: "gather", Ops: []engine.Op{engine.OpSlice},
			Threads: copyThreads,
			Buffers: []Binding{{0, "x", Input, false}, {1, "y", Output, true}, {2, "p", Params, false}},
		})
	}
	lowerings[engine.OpGather] = lowering{supports: elementwiseFits, lower: lowerGather}
	lowerings[engine.OpSlice] = lowering{supports: elementwiseFits, lower: lowerSlice}
}

// GatherParams packs silica.h's GatherParams {uint r, n, row_elems;}.
func GatherParams(r, n, rowElems int) []byte { return params(r, n, rowElems) }

// SliceParams packs silica.h's SliceParams {uint rows, cols, src_cols, r0, c0;}.
func SliceParams(rows, cols, srcCols, r0, c0 int) []byte { return params(rows, cols, srcCols, r0, c0) }

func lowerGather(s *engine.Step, in, out []engine.Value) (*Launch, error) {
	x, idx := in[0], in[1]
	k, err := mustKernel(Name("gather", "rows", x.DType, idx.DType.String()))
	if err != nil {
		return nil, err
	}
	n := x.Shape[0]
	rowElems := x.Shape.Size() / n
	r := idx.Shape[0]
	l := single(dispatch(k, groups1(ceilDiv(r*rowElems, copyThreads)),
		[]Arg{argIn(0), argIn(1), argOut(0), argParams(GatherParams(r, n, rowElems)), argScratch(0)}))
	l.Scratch, l.Zero, l.Status = []int{StatusBytes}, []int{0}, 0
	return l, nil
}

func lowerSlice(s *engine.Step, in, out []engine.Value) (*Launch, error) {
	x := in[0]
	k, err := mustKernel(Name("gather", "slice", x.DType, ""))
	if err != nil {
		return nil, err
	}
	a := s.Attrs
	rows, cols, srcCols, c0 := a.Rows[1]-a.Rows[0], 1, 1, 0
	if len(x.Shape) == 2 {
		cols, srcCols, c0 = a.Cols[1]-a.Cols[0], x.Shape[1], a.Cols[0]
	}
	return single(dispatch(k, groups1(ceilDiv(rows*cols, copyThreads)),
		[]Arg{argIn(0), argOut(0), argParams(SliceParams(rows, cols, srcCols, a.Rows[0], c0))})), nil
}
