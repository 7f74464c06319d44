package metal

import (
	"math"

	"github.com/silica-go/silica/engine"
	"github.com/silica-go/silica/kernels"
)

// topkThreads is the threadgroup size of topk_radix; topkMemory its
// threadgroup memory: 4096 counters, 256 sums, 4 words of state.
const (
	topkThreads = 256
	topkMemory  = (4096 + 256 + 4) * 4
)

func init() {
	for _, dt := range floatTypes {
		register(&mslKernel{
			Name: kernels.Name("topk", "radix", dt, ""), Family: "topk", Ops: []engine.Op{engine.OpTopK},
			Threads: topkThreads,
			Buffers: []binding{{0, "x", roleInput, false}, {1, "values", roleOutput, true}, {2, "indices", roleOutput, true},
				{3, "p", roleParams, false}, {4, "scratch", roleScratch, true}},
			ThreadgroupMemory: []int{topkMemory},
		})
	}
	stepKernels[engine.OpTopK] = topkKernel
	fits[engine.OpTopK] = topkFits
	for _, dt := range floatTypes {
		register(&mslKernel{
			Name: kernels.Name("topk", "mask", dt, ""), Family: "topk", Ops: []engine.Op{engine.OpMaskRows},
			Threads: copyThreads,
			Buffers: []binding{{0, "x", roleInput, false}, {1, "bits", roleInput, false}, {2, "y", roleOutput, true},
				{3, "p", roleParams, false}},
		})
	}
	stepKernels[engine.OpMaskRows] = maskRowsKernel
	fits[engine.OpMaskRows] = elementwiseFits
}

// maskParams packs silica.h's MaskParams {uint total, n, largest;}.
func maskParams(total, n int, largest bool) []byte { return params(total, n, largest) }

// maskRowsKernel: one thread a score (engine.OpMaskRows).
func maskRowsKernel(b *batch, s *engine.Step, in, out []engine.Value) error {
	x := in[0]
	k, err := mustKernel(kernels.Name("topk", "mask", x.DType, ""))
	if err != nil {
		return err
	}
	total := x.Shape.Size()
	return b.encode(single(dispatch(k, groups1(ceilDiv(total, copyThreads)),
		[]kernelArg{argIn(0), argIn(1), argOut(0), argParams(maskParams(total, x.Shape[len(x.Shape)-1], s.Attrs.Largest))})))
}

// topkFits: row positions are packed in 32 bits.
func topkFits(a *engine.Attrs, in []engine.Value) bool {
	return in[0].Shape[len(in[0].Shape)-1] < math.MaxUint32 && in[0].DType.IsFloat()
}

// topkParams packs silica.h's TopkParams {uint rows, n, k, largest;}.
func topkParams(rows, n, k int, largest bool) []byte { return params(rows, n, k, largest) }

// lowerTopK: one threadgroup per row, any k; scratch holds 2k packed
// candidates per row.
func topkKernel(b *batch, s *engine.Step, in, out []engine.Value) error {
	x := in[0]
	n := x.Shape[len(x.Shape)-1]
	rows := x.Shape.Size() / n
	k := s.Attrs.K
	kern, err := mustKernel(kernels.Name("topk", "radix", x.DType, ""))
	if err != nil {
		return err
	}
	l := single(dispatch(kern, groups1(rows),
		[]kernelArg{argIn(0), argOut(0), argOut(1), argParams(topkParams(rows, n, k, s.Attrs.Largest)), argScratch(0)}))
	l.Scratch = []int{rows * 2 * k * 8}
	return b.encode(l)
}
