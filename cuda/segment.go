package cuda

import (
	"unsafe"

	"github.com/silica-go/silica/engine"
)

func init() {
	kernels[engine.OpSegmentSum] = segmentKernel
	kernels[engine.OpSegmentMax] = segmentKernel
	registerFamily(func() []variant {
		var vs []variant
		for _, t := range floatTypes {
			for _, op := range []engine.Op{engine.OpSegmentSum, engine.OpSegmentMax} {
				vs = append(vs, segmentVariant(op, t))
			}
		}
		return vs
	}, segmentReduceArgs{})
}

// segmentSmem is segment_reduce's dynamic shared memory: a partial result
// of each of its 8 warps' 32 lanes.
const segmentSmem = 8 * 32 * 4

// segmentKernel runs segment_reduce (segment.cu), a block a (segment, 32
// columns) task, the grid looping over the tasks. The segments' start
// offsets (from Attrs.Segments) go to run scratch in the stream's order
// (runner.upload).
func segmentKernel(r *runner, s *engine.Step, in, out []arg) error {
	h := in[0].Shape[1]
	segs := s.Attrs.Segments
	starts := make([]int32, len(segs)+1)
	for i, l := range segs {
		starts[i+1] = starts[i] + int32(l)
	}
	sp, err := r.upload(unsafe.Slice((*byte)(unsafe.Pointer(&starts[0])), 4*len(starts)))
	if err != nil {
		return err
	}
	return launch(r.d, segmentVariant(s.Op, in[0].DType), [3]int{r.d.blocks(len(segs)*((h+31)/32), 1)}, 256, segmentSmem,
		segmentReduceArgs{x: in[0].ptr, starts: sp, out: out[0].ptr, h: int64(h), nseg: int64(len(segs))})
}

// segmentVariant is segment.cu for op, OpSegmentSum or OpSegmentMax (OP
// 0 or 1, as reduce.cu numbers them), over x of dtype t.
func segmentVariant(op engine.Op, t engine.DType) variant {
	kind, code := "sum", "0"
	if op == engine.OpSegmentMax {
		kind, code = "max", "1"
	}
	return variant{file: "segment.cu", kind: kind, dtype: t, defines: []string{"T=" + ctype(t), "OP=" + code}}
}

// segmentReduceArgs are the parameters of segment_reduce (segment.cu).
type segmentReduceArgs struct {
	x, starts, out dptr
	h, nseg        int64
}

func (segmentReduceArgs) entry() (string, string) { return "segment.cu", "segment_reduce" }
func (p segmentReduceArgs) pack(a *argPack) {
	a.ptr(p.x).ptr(p.starts).ptr(p.out).i64(p.h).i64(p.nseg)
}
