package cuda

import (
	"unsafe"

	"github.com/silica-go/silica/engine"
)

func init() {
	kernels[engine.OpAttention] = attentionKernel
	registerFamily(func() []variant {
		var vs []variant
		for _, t := range floatTypes {
			vs = append(vs, attentionVariant(t))
		}
		return vs
	}, attentionRowsArgs{})
}

// attentionKernel runs attention_rows (attention.cu), a warp a (query
// row, head) pair, after copying the sequences' start offsets (from
// Attrs.Segments) to run scratch.
func attentionKernel(r *runner, s *engine.Step, in, out []arg) error {
	n, h := in[0].Shape[0], in[0].Shape[1]
	if n == 0 {
		return nil
	}
	segs := s.Attrs.Segments
	starts := make([]int32, len(segs)+1)
	for i, l := range segs {
		starts[i+1] = starts[i] + int32(l)
	}
	sp, err := r.tmp(4 * len(starts))
	if err != nil {
		return err
	}
	if !r.d.dry {
		if err := check("cuMemcpyHtoD", cuMemcpyHtoD(sp, unsafe.Pointer(&starts[0]), uint64(4*len(starts)))); err != nil {
			return err
		}
	}
	heads := s.Attrs.Heads
	return launch(r.d, attentionVariant(in[0].DType), [3]int{r.d.blocks(n*heads, 8)}, 256, 0,
		attentionRowsArgs{q: in[0].ptr, k: in[1].ptr, v: in[2].ptr, starts: sp, out: out[0].ptr,
			n: int64(n), h: int64(h), heads: int64(heads), nseg: int64(len(segs)), scale: s.Attrs.Scalar})
}

// attentionVariant is attention.cu's attention_rows over q, k, v of dtype t.
func attentionVariant(t engine.DType) variant {
	return variant{file: "attention.cu", kind: "rows", dtype: t, defines: []string{"T=" + ctype(t)}}
}

// attentionRowsArgs are the parameters of attention_rows (attention.cu).
type attentionRowsArgs struct {
	q, k, v, starts, out dptr
	n, h, heads, nseg    int64
	scale                float32
}

func (attentionRowsArgs) entry() (string, string) { return "attention.cu", "attention_rows" }
func (p attentionRowsArgs) pack(a *argPack) {
	a.ptr(p.q).ptr(p.k).ptr(p.v).ptr(p.starts).ptr(p.out).i64(p.n).i64(p.h).i64(p.heads).i64(p.nseg).f32(p.scale)
}
