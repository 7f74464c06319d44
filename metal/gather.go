package metal

import (
	"github.com/silica-go/silica/engine"
	"github.com/silica-go/silica/kernels"
)

// copyThreads is the threadgroup size of the copy kernels.
const copyThreads = 256

func init() {
	for _, dt := range allTypes {
		for _, idx := range []engine.DType{engine.Int32, engine.Int64} {
			register(&mslKernel{
				Name: kernels.Name("gather", "rows", dt, idx.String()), Family: "gather", Ops: []engine.Op{engine.OpGather},
				Threads: copyThreads,
				Buffers: []binding{{0, "x", roleInput, false}, {1, "idx", roleInput, false}, {2, "y", roleOutput, true},
					{3, "p", roleParams, false}, {4, "status", roleScratch, true}},
			})
		}
		register(&mslKernel{
			Name: kernels.Name("gather", "slice", dt, ""), Family: "gather", Ops: []engine.Op{engine.OpSlice},
			Threads: copyThreads,
			Buffers: []binding{{0, "x", roleInput, false}, {1, "y", roleOutput, true}, {2, "p", roleParams, false}},
		})
	}
	stepKernels[engine.OpGather] = gatherKernel
	fits[engine.OpGather] = elementwiseFits
	stepKernels[engine.OpSlice] = sliceKernel
	fits[engine.OpSlice] = elementwiseFits
}

// gatherParams packs silica.h's GatherParams {uint r, n, row_elems;}.
func gatherParams(r, n, rowElems int) []byte { return params(r, n, rowElems) }

// sliceParams packs silica.h's SliceParams {uint rows, cols, src_cols, r0, c0;}.
func sliceParams(rows, cols, srcCols, r0, c0 int) []byte { return params(rows, cols, srcCols, r0, c0) }

func gatherKernel(b *batch, s *engine.Step, in, out []engine.Value) error {
	x, idx := in[0], in[1]
	k, err := mustKernel(kernels.Name("gather", "rows", x.DType, idx.DType.String()))
	if err != nil {
		return err
	}
	n := x.Shape[0]
	rowElems := x.Shape.Size() / n
	r := idx.Shape.Size()
	l := single(dispatch(k, groups1(ceilDiv(r*rowElems, copyThreads)),
		[]kernelArg{argIn(0), argIn(1), argOut(0), argParams(gatherParams(r, n, rowElems)), argScratch(0)}))
	l.Scratch, l.Zero, l.Status = []int{statusBytes}, []int{0}, 0
	return b.encode(l)
}

func sliceKernel(b *batch, s *engine.Step, in, out []engine.Value) error {
	x := in[0]
	k, err := mustKernel(kernels.Name("gather", "slice", x.DType, ""))
	if err != nil {
		return err
	}
	a := s.Attrs
	rows, cols, srcCols, c0 := a.Rows[1]-a.Rows[0], 1, 1, 0
	if len(x.Shape) == 2 {
		cols, srcCols, c0 = a.Cols[1]-a.Cols[0], x.Shape[1], a.Cols[0]
	}
	return b.encode(single(dispatch(k, groups1(ceilDiv(rows*cols, copyThreads)),
		[]kernelArg{argIn(0), argOut(0), argParams(sliceParams(rows, cols, srcCols, a.Rows[0], c0))})))
}
