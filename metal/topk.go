package kernels

import (
	"math"

	"github.com/silica-go/silica/engine"
)

// topkThreads is the threadgroup size of topk_radix; topkMemory its
// threadgroup memory: 4096 counters, 256 sums, 4 words of state.
const (
	topkThreads = 256
	topkMemory  = (4096 + 256 + 4) * 4
)

func init() {
	for _, dt := range floatTypes {
		register(&Kernel{
			Name: Name("topk", "radix", dt, ""), Family: "topk", Ops: []engine.Op{engine.OpTopK},
			Threads: topkThreads,
			Buffers: []Binding{{0, "x", Input, false}, {1, "values", Output, true}, {2, "indices", Output, true},
				{3, "p", Params, false}, {4, "scratch", Scratch, true}},
			ThreadgroupMemory: []int{topkMemory},
		})
	}
	lowerings[engine.OpTopK] = lowering{supports: topkFits, lower: lowerTopK}
}

// topkFits: row positions are packed in 32 bits.
func topkFits(a *engine.Attrs, in []engine.Value) bool {
	return in[0].Shape[len(in[0].Shape)-1] < math.MaxUint32 && in[0].DType.IsFloat()
}

// TopkParams packs silica.h's TopkParams {uint rows, n, k, largest;}.
func TopkParams(rows, n, k int, largest bool) []byte { return params(rows, n, k, largest) }

// lowerTopK: one threadgroup per row, any k; scratch holds 2k packed
// candidates per row.
func lowerTopK(s *engine.Step, in, out []engine.Value) (*Launch, error) {
	x := in[0]
	n := x.Shape[len(x.Shape)-1]
	rows := x.Shape.Size() / n
	k := s.Attrs.K
	kern, err := mustKernel(Name("topk", "radix", x.DType, ""))
	if err != nil {
		return nil, err
	}
	l := single(dispatch(kern, groups1(rows),
		[]Arg{argIn(0), argOut(0), argOut(1), argParams(TopkParams(rows, n, k, s.Attrs.Largest)), argScratch(0)}))
	l.Scratch = []int{rows * 2 * k * 8}
	return l, nil
}
