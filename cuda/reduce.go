package cuda

import (
	"fmt"
	"unsafe"

	"github.com/silica-go/silica/engine"
)

func init() {
	kernels[engine.OpSum] = reduceKernel
	kernels[engine.OpReduceMax] = reduceKernel
	kernels[engine.OpNorm] = reduceKernel
	kernels[engine.OpNormalize] = normalizeKernel
	kernels[engine.OpLayerNorm] = layerNormKernel
	kernels[engine.OpSegmentSum] = segmentKernel
	kernels[engine.OpSegmentMax] = segmentKernel
	registerFamily(reduceVariants, reduceInnerArgs{}, reduceStridedArgs{}, segmentReduceArgs{}, normalizeRowsArgs{}, normalizeRows4Args{},
		rowScalesArgs{}, layerNormRowsArgs{})
}

// reduceVariants are the family's default variants: the reductions (and
// so the segment reductions) and row scales of every float dtype and
// int8, the row and layer normalizations.
func reduceVariants() []variant {
	var vs []variant
	for _, t := range append(floatTypes[:len(floatTypes):len(floatTypes)], engine.Int8) {
		for _, op := range []engine.Op{engine.OpSum, engine.OpReduceMax, engine.OpNorm} {
			vs = append(vs, reduceVariant(op, t))
		}
		vs = append(vs, rowScalesVariant(t))
	}
	for _, t := range floatTypes {
		vs = append(vs, normalizeVariant(t), layerNormVariant(t))
	}
	return append(vs, normalize4Variant(3))
}

var reduceOps = map[engine.Op]string{engine.OpSum: "0", engine.OpReduceMax: "1", engine.OpNorm: "2"}

// reduceKernel reduces along Attrs.Axis, viewing x as [outer, length,
// inner]: a warp per output when inner is 1, else a thread per output.
func reduceKernel(r *runner, s *engine.Step, in, out []arg) error {
	x := in[0]
	ax := s.Attrs.Axis
	outer, length, inner := engine.AxisView(x.Shape, ax)
	v := reduceVariant(s.Op, x.DType)
	if inner == 1 {
		return launch(r.d, v, [3]int{r.d.blocks(outer, 8)}, 256, 0,
			reduceInnerArgs{x: x.ptr, y: out[0].ptr, outer: int64(outer), length: int64(length)})
	}
	return launch(r.d, v, [3]int{r.d.blocks(outer*inner, 256)}, 256, 0,
		reduceStridedArgs{x: x.ptr, y: out[0].ptr, outer: int64(outer), length: int64(length), inner: int64(inner)})
}

// reduceVariant is reduce.cu's reduction op (a key of reduceOps) of
// dtype t.
func reduceVariant(op engine.Op, t engine.DType) variant {
	return variant{file: "reduce.cu", kind: op.String(), dtype: t, defines: []string{"T=" + ctype(t), "OP=" + reduceOps[op]}}
}

// reduceInnerArgs are the parameters of reduce_inner (reduce.cu).
type reduceInnerArgs struct {
	x, y          dptr
	outer, length int64
}

func (reduceInnerArgs) entry() (string, string) { return "reduce.cu", "reduce_inner" }
func (p reduceInnerArgs) pack(a *argPack)       { a.ptr(p.x).ptr(p.y).i64(p.outer).i64(p.length) }

// reduceStridedArgs are the parameters of reduce_strided (reduce.cu).
type reduceStridedArgs struct {
	x, y                 dptr
	outer, length, inner int64
}

func (reduceStridedArgs) entry() (string, string) { return "reduce.cu", "reduce_strided" }
func (p reduceStridedArgs) pack(a *argPack) {
	a.ptr(p.x).ptr(p.y).i64(p.outer).i64(p.length).i64(p.inner)
}

// normalizeKernel divides each row by max(its norm, 1e-12). Float32 rows
// of up to 4096 elements (a multiple of 4) are read once, into registers.
func normalizeKernel(r *runner, s *engine.Step, in, out []arg) error {
	x := in[0]
	d := x.Shape[len(x.Shape)-1]
	rows := x.Shape.Size() / d
	if x.DType == engine.Float32 && d%4 == 0 && d <= 32*4*32 {
		return launch(r.d, normalize4Variant((d/4+31)/32), [3]int{r.d.blocks(rows, 8)}, 256, 0,
			normalizeRows4Args{x: x.ptr, y: out[0].ptr, rows: int64(rows), d4: int64(d / 4)})
	}
	return launch(r.d, normalizeVariant(x.DType), [3]int{r.d.blocks(rows, 8)}, 256, 0,
		normalizeRowsArgs{x: x.ptr, y: out[0].ptr, rows: int64(rows), d: int64(d)})
}

// normalize4Variant is reduce.cu's normalize_rows4 for float32 rows of
// nv float4s a lane (1 to 32).
func normalize4Variant(nv int) variant {
	return variant{file: "reduce.cu", kind: "normalize4", dtype: engine.Float32, params: []string{fmt.Sprintf("nv%d", nv)},
		defines: []string{"T=float", fmt.Sprintf("NV4=%d", nv)}}
}

// normalizeVariant is reduce.cu's normalize_rows of dtype t.
func normalizeVariant(t engine.DType) variant {
	return variant{file: "reduce.cu", kind: "normalize", dtype: t, defines: []string{"T=" + ctype(t)}}
}

// normalizeRowsArgs are the parameters of normalize_rows (reduce.cu).
type normalizeRowsArgs struct {
	x, y    dptr
	rows, d int64
}

func (normalizeRowsArgs) entry() (string, string) { return "reduce.cu", "normalize_rows" }
func (p normalizeRowsArgs) pack(a *argPack)       { a.ptr(p.x).ptr(p.y).i64(p.rows).i64(p.d) }

// normalizeRows4Args are the parameters of normalize_rows4 (reduce.cu).
type normalizeRows4Args struct {
	x, y     dptr
	rows, d4 int64
}

func (normalizeRows4Args) entry() (string, string) { return "reduce.cu", "normalize_rows4" }
func (p normalizeRows4Args) pack(a *argPack)       { a.ptr(p.x).ptr(p.y).i64(p.rows).i64(p.d4) }

// layerNormKernel runs layer_norm_rows (reduce.cu), a warp a row.
func layerNormKernel(r *runner, s *engine.Step, in, out []arg) error {
	x := in[0]
	d := x.Shape[len(x.Shape)-1]
	rows := x.Shape.Size() / d
	return launch(r.d, layerNormVariant(x.DType), [3]int{r.d.blocks(rows, 8)}, 256, 0,
		layerNormRowsArgs{x: x.ptr, gamma: in[1].ptr, beta: in[2].ptr, y: out[0].ptr, rows: int64(rows), d: int64(d), eps: s.Attrs.Eps})
}

// layerNormVariant is reduce.cu's layer_norm_rows of dtype t.
func layerNormVariant(t engine.DType) variant {
	return variant{file: "reduce.cu", kind: "layernorm", dtype: t, defines: []string{"T=" + ctype(t)}}
}

// layerNormRowsArgs are the parameters of layer_norm_rows (reduce.cu).
type layerNormRowsArgs struct {
	x, gamma, beta, y dptr
	rows, d           int64
	eps               float32
}

func (layerNormRowsArgs) entry() (string, string) { return "reduce.cu", "layer_norm_rows" }
func (p layerNormRowsArgs) pack(a *argPack) {
	a.ptr(p.x).ptr(p.gamma).ptr(p.beta).ptr(p.y).i64(p.rows).i64(p.d).f32(p.eps)
}

// rowScales launches row_scales over x [rows, d] (float or int8): s[r] =
// f[r]/max(f[r]*||x_r||, 1e-12) when norm, else f[r] (f = 1 when 0), and
// the scaled norm into n2 when n2 != 0. It returns s in run scratch.
func (r *runner) rowScales(x arg, rows, d int, f dptr, norm bool, n2 dptr) (dptr, error) {
	sp, err := r.tmp(4 * rows)
	if err != nil {
		return 0, err
	}
	err = launch(r.d, rowScalesVariant(x.DType), [3]int{r.d.blocks(rows, 8)}, 256, 0,
		rowScalesArgs{x: x.ptr, f: f, s: sp, n2: n2, rows: int64(rows), d: int64(d), norm: norm})
	return sp, err
}

// rowScalesVariant is reduce.cu's row_scales of rows of dtype t.
func rowScalesVariant(t engine.DType) variant {
	return variant{file: "reduce.cu", kind: "rowscales", dtype: t, defines: []string{"T=" + ctype(t)}}
}

// rowScalesArgs are the parameters of row_scales (reduce.cu).
type rowScalesArgs struct {
	x, f, s, n2 dptr
	rows, d     int64
	norm        bool
}

func (rowScalesArgs) entry() (string, string) { return "reduce.cu", "row_scales" }
func (p rowScalesArgs) pack(a *argPack) {
	a.ptr(p.x).ptr(p.f).ptr(p.s).ptr(p.n2).i64(p.rows).i64(p.d).flag(p.norm)
}

// segmentSmem is segment_reduce's dynamic shared memory: a partial result
// of each of its 8 warps' 32 lanes.
const segmentSmem = 8 * 32 * 4

// segmentKernel runs segment_reduce (reduce.cu), a block a (segment, 32
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

// segmentOps are the reductions whose reduce.cu variant holds each
// segment reduction's kernel.
var segmentOps = map[engine.Op]engine.Op{engine.OpSegmentSum: engine.OpSum, engine.OpSegmentMax: engine.OpReduceMax}

// segmentVariant is reduce.cu for op, OpSegmentSum or OpSegmentMax, over
// x of dtype t: the module of the matching axis reduction, which holds
// segment_reduce too.
func segmentVariant(op engine.Op, t engine.DType) variant { return reduceVariant(segmentOps[op], t) }

// segmentReduceArgs are the parameters of segment_reduce (reduce.cu).
type segmentReduceArgs struct {
	x, starts, out dptr
	h, nseg        int64
}

func (segmentReduceArgs) entry() (string, string) { return "reduce.cu", "segment_reduce" }
func (p segmentReduceArgs) pack(a *argPack) {
	a.ptr(p.x).ptr(p.starts).ptr(p.out).i64(p.h).i64(p.nseg)
}
