package cuda

import (
	"fmt"
	"slices"
	"unsafe"

	"github.com/silica-go/silica/engine"
)

func init() {
	kernels[engine.OpAttention] = attentionKernel
	registerFamily(func() []variant {
		var vs []variant
		for _, t := range floatTypes {
			vs = append(vs, attentionVariant(t))
			for _, dh := range tileHeadDims {
				vs = append(vs, attentionTileVariant(t, dh))
			}
		}
		return vs
	}, attentionRowsArgs{}, attentionTilesArgs{})
}

// tileHeadDims are the head widths attention_tiles is built for (those of
// the BERT-family sentence encoders: MiniLM, bge and e5, small and base);
// other widths run attention_rows.
var tileHeadDims = []int{32, 64}

// Tiling of attention_tiles (attention.cu's RB, HG and TK): query rows and
// heads a block, and the dynamic shared memory of its key and value tiles.
const (
	tileRows  = 64
	tileHeads = 4
	tileSmem  = 2 * tileHeads * 1024 * 4
)

// attentionKernel runs attention_tiles (attention.cu), a thread a (query
// row, head) pair with the keys and values in shared memory, for heads of
// a width in tileHeadDims, else attention_rows, a warp a pair. The
// sequences' start offsets (from Attrs.Segments), and for the tiles the
// blocks' tasks (a sequence and its first row), go to run scratch in the
// stream's order (runner.upload).
func attentionKernel(r *runner, s *engine.Step, in, out []arg) error {
	n, h := in[0].Shape[0], in[0].Shape[1]
	if n == 0 {
		return nil
	}
	segs := s.Attrs.Segments
	heads := s.Attrs.Heads
	dh := h / heads
	tiles := slices.Contains(tileHeadDims, dh)
	meta := attentionMeta(segs, tiles)
	sp, err := r.upload(unsafe.Slice((*byte)(unsafe.Pointer(&meta[0])), 4*len(meta)))
	if err != nil {
		return err
	}
	if tiles {
		tasks := (len(meta) - len(segs) - 1) / 2
		return launch(r.d, attentionTileVariant(in[0].DType, dh), [3]int{tasks, (heads + tileHeads - 1) / tileHeads}, 256, tileSmem,
			attentionTilesArgs{q: in[0].ptr, k: in[1].ptr, v: in[2].ptr, starts: sp, tasks: sp + uint64(4*(len(segs)+1)), out: out[0].ptr,
				h: int64(h), heads: int64(heads), scale: s.Attrs.Scalar})
	}
	return launch(r.d, attentionVariant(in[0].DType), [3]int{r.d.blocks(n*heads, 8)}, 256, 0,
		attentionRowsArgs{q: in[0].ptr, k: in[1].ptr, v: in[2].ptr, starts: sp, out: out[0].ptr,
			n: int64(n), h: int64(h), heads: int64(heads), nseg: int64(len(segs)), scale: s.Attrs.Scalar})
}

// attentionMeta returns the sequences' start offsets [len(segs)+1] (the
// last is the rows in all), then with tiles attention_tiles' tasks: for
// each block a sequence and its first row, tileRows rows apart.
func attentionMeta(segs []int, tiles bool) []int32 {
	meta := make([]int32, len(segs)+1, 3*len(segs)+1)
	for i, l := range segs {
		meta[i+1] = meta[i] + int32(l)
	}
	if tiles {
		for i, l := range segs {
			for r0 := 0; r0 < l; r0 += tileRows {
				meta = append(meta, int32(i), int32(r0))
			}
		}
	}
	return meta
}

// attentionVariant is attention.cu's attention_rows over q, k, v of dtype t.
func attentionVariant(t engine.DType) variant {
	return variant{file: "attention.cu", kind: "rows", dtype: t, defines: []string{"T=" + ctype(t)}}
}

// attentionTileVariant is attention.cu's attention_tiles over q, k, v of
// dtype t, for heads of dh columns.
func attentionTileVariant(t engine.DType, dh int) variant {
	return variant{file: "attention.cu", kind: "tiles", dtype: t, params: []string{fmt.Sprintf("dh%d", dh)},
		defines: []string{"T=" + ctype(t), fmt.Sprintf("DH=%d", dh)}}
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

// attentionTilesArgs are the parameters of attention_tiles (attention.cu).
type attentionTilesArgs struct {
	q, k, v, starts, tasks, out dptr
	h, heads                    int64
	scale                       float32
}

func (attentionTilesArgs) entry() (string, string) { return "attention.cu", "attention_tiles" }
func (p attentionTilesArgs) pack(a *argPack) {
	a.ptr(p.q).ptr(p.k).ptr(p.v).ptr(p.starts).ptr(p.tasks).ptr(p.out).i64(p.h).i64(p.heads).f32(p.scale)
}
