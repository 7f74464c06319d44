package metal

import (
	"github.com/silica-go/silica/engine"
	"github.com/silica-go/silica/kernels"
)

func init() {
	for _, dt := range floatTypes {
		register(&mslKernel{
			Name: kernels.Name("attention", "rows", dt, ""), Family: "attention", Ops: []engine.Op{engine.OpAttention},
			Threads: rowThreads,
			Buffers: []binding{{0, "q", roleInput, false}, {1, "k", roleInput, false}, {2, "v", roleInput, false},
				{3, "out", roleOutput, true}, {4, "p", roleParams, false}, {5, "starts", roleParams, false}},
		})
	}
	stepKernels[engine.OpAttention] = attentionKernel
}

// attentionSegments is the most sequences one dispatch of attention_rows
// takes: their starts are set with setBytes, which takes 4 KB.
var attentionSegments = maxParamBytes/4 - 1 // a variable so that a test can split small steps

// attentionParams packs attention.metal's AttentionParams {uint rows, h,
// heads, nseg, row0; float scale;}.
func attentionParams(rows, h, heads, nseg, row0 int, scale float32) []byte {
	return params(rows, h, heads, nseg, row0, scale)
}

// attentionKernel runs attention_rows, a SIMD group a (query row, head)
// pair: one dispatch per attentionSegments sequences, each with those
// sequences' starts.
func attentionKernel(b *batch, s *engine.Step, in, out []engine.Value) error {
	h := in[0].Shape[1]
	heads := s.Attrs.Heads
	k, err := mustKernel(kernels.Name("attention", "rows", in[0].DType, ""))
	if err != nil {
		return err
	}
	l := &stepLaunch{Status: -1}
	for _, p := range splitSegments(s.Attrs.Segments, attentionSegments) {
		l.Dispatches = append(l.Dispatches, dispatch(k, groups1(ceilDiv(p.rows*heads, rowThreads/32)),
			[]kernelArg{argIn(0), argIn(1), argIn(2), argOut(0),
				argParams(attentionParams(p.rows, h, heads, p.n, p.row0, s.Attrs.Scalar)), argParams(p.starts)}))
	}
	if len(l.Dispatches) == 0 {
		return nil
	}
	return b.encode(l)
}
