package metal

import (
	"github.com/silica-go/silica/engine"
	"github.com/silica-go/silica/kernels"
)

// segmentVariants name the segment kernels of reduce.metal by op.
var segmentVariants = map[engine.Op]string{engine.OpSegmentSum: "sum", engine.OpSegmentMax: "max"}

// segmentThreads is the threadgroup size of the segment kernels: 8 SIMD
// groups (reduce.metal's SEGMENT_GROUPS), whose partial results take
// segmentThreads floats of threadgroup memory.
const segmentThreads = 256

func init() {
	for op, v := range segmentVariants {
		for _, dt := range floatTypes {
			register(&mslKernel{
				Name: kernels.Name("segment", v, dt, ""), Family: "reduce", Ops: []engine.Op{op},
				Threads: segmentThreads,
				Buffers: []binding{{0, "x", roleInput, false}, {1, "out", roleOutput, true},
					{2, "p", roleParams, false}, {3, "starts", roleParams, false}},
				ThreadgroupMemory: []int{4 * segmentThreads},
			})
		}
		stepKernels[op] = segmentKernel
		fits[op] = elementwiseFits
	}
}

// segmentsPerDispatch is the most segments one dispatch of a segment
// kernel takes: their starts are set with setBytes, which takes 4 KB.
var segmentsPerDispatch = maxParamBytes/4 - 1 // a variable so that a test can split small steps

// segmentParams packs reduce.metal's SegmentParams {uint h, nseg, seg0;}.
func segmentParams(h, nseg, seg0 int) []byte { return params(h, nseg, seg0) }

// segmentPart is one dispatch's share of packed sequences or segments:
// n of them from the step's first-th, over the rows [row0, row0+rows),
// and their starts as attention_rows and the segment kernels bind them
// (n+1 absolute row offsets, the last where they end).
type segmentPart struct {
	first, n, row0, rows int
	starts               []byte
}

// splitSegments splits the packed segments of lengths into parts of at
// most per segments, in order: one dispatch each.
func splitSegments(lengths []int, per int) []segmentPart {
	var parts []segmentPart
	row := 0
	for a := 0; a < len(lengths); a += per {
		p := segmentPart{first: a, n: min(per, len(lengths)-a), row0: row}
		starts := []any{row}
		for _, l := range lengths[a : a+p.n] {
			row += l
			starts = append(starts, row)
		}
		p.rows, p.starts = row-p.row0, params(starts...)
		parts = append(parts, p)
	}
	return parts
}

// segmentKernel runs segment_sum or segment_max, a threadgroup a
// (segment, 32 columns): one dispatch per segmentsPerDispatch segments,
// each with those segments' starts.
func segmentKernel(b *batch, s *engine.Step, in, out []engine.Value) error {
	h := in[0].Shape[1]
	k, err := mustKernel(kernels.Name("segment", segmentVariants[s.Op], in[0].DType, ""))
	if err != nil {
		return err
	}
	l := &stepLaunch{Status: -1}
	for _, p := range splitSegments(s.Attrs.Segments, segmentsPerDispatch) {
		l.Dispatches = append(l.Dispatches, dispatch(k, groups1(p.n*ceilDiv(h, 32)),
			[]kernelArg{argIn(0), argOut(0), argParams(segmentParams(h, p.n, p.first)), argParams(p.starts)}))
	}
	return b.encode(l)
}
