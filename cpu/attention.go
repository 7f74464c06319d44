package cpu

import (
	"sort"

	"github.com/silica-go/silica/engine"
)

func init() { kernels[engine.OpAttention] = attentionKernel }

// attentionKernel computes Attention one (sequence, head) pair at a time,
// the pairs spread over the workers, longest sequences first (so that
// the last tasks are short ones): the scores S = scale·Q_h·K_hᵀ [t, t] by
// the gemm on strided views of q and k (no copy of a head), a softmax of
// each row of S in place, then P·V_h [t, dh] into the head's columns of
// the output. Each worker keeps the scores and packing buffers of its
// own; the gemms run on the calling worker (gemmSerial), since the pairs
// are the parallel work.
func attentionKernel(c *Backend, s *engine.Step, in, out []arg) error {
	n, h := in[0].Shape[0], in[0].Shape[1]
	if n == 0 {
		return nil
	}
	heads := s.Attrs.Heads
	dh := h / heads
	scale := s.Attrs.Scalar
	Q, K, V := c.floats(in[0]), c.floats(in[1]), c.floats(in[2])
	y := f32(out[0].b)[:n*h]
	lengths := s.Attrs.Segments
	starts := make([]int, len(lengths))
	longest := 0
	for i, l := range lengths {
		if i > 0 {
			starts[i] = starts[i-1] + lengths[i-1]
		}
		longest = max(longest, l)
	}
	order := make([]int, len(lengths))
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(a, b int) bool { return lengths[order[a]] > lengths[order[b]] })
	c.parallelTasks(len(lengths)*heads, func() func(t int) {
		scores := make([]float32, longest*longest)
		ctx := make([]float32, longest*dh)
		var g gemmScratch
		return func(task int) {
			seg, j := order[task/heads], task%heads
			s0, t := starts[seg], lengths[seg]
			off := s0*h + j*dh
			sc := scores[:t*t]
			g.run(t, t, dh, matrix{data: Q[off:], rs: h, cs: 1}, matrix{data: K[off:], rs: 1, cs: h}, sc)
			for i := range t {
				softmaxRow(sc[i*t:(i+1)*t], scale)
			}
			cx := ctx[:t*dh]
			g.run(t, dh, t, matrix{data: sc, rs: t, cs: 1}, matrix{data: V[off:], rs: h, cs: 1}, cx)
			for i := range t {
				copy(y[off+i*h:off+i*h+dh], cx[i*dh:(i+1)*dh])
			}
		}
	})
	return nil
}

// softmaxRow replaces the scores x by softmax(f·x): the largest
// subtracted before exp (so large scores do not overflow), as one FMA
// f·x - f·max (for f > 0; x is scaled first otherwise), the sum in
// float64.
func softmaxRow(x []float32, f float32) {
	if !(f > 0) {
		scale(x, x, f)
		f = 1
	}
	mx := maxVec(x)
	affine(x, x, f, -f*mx)
	expVec(x, x)
	scale(x, x, float32(1/sum(x)))
}
