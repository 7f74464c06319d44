package cuda

import (
	"fmt"

	"github.com/silica-go/silica/engine"
)

func init() {
	kernels[engine.OpSum] = reduceKernel
	kernels[engine.OpReduceMax] = reduceKernel
	kernels[engine.OpNorm] = reduceKernel
	kernels[engine.OpNormalize] = normalizeKernel
}

var reduceOps = map[engine.Op]string{engine.OpSum: "0", engine.OpReduceMax: "1", engine.OpNorm: "2"}

// reduceKernel reduces along Attrs.Axis, viewing x as [outer, length,
// inner]: a warp per output when inner is 1, else a thread per output.
func reduceKernel(r *runner, s *engine.Step, in, out []arg) error {
	x := in[0]
	ax := s.Attrs.Axis
	outer, length, inner := engine.AxisView(x.Shape, ax)
	v := variant{file: "reduce.cu", kind: s.Op.String(), dtype: x.DType,
		defines: []string{"T=" + ctype(x.DType), "OP=" + reduceOps[s.Op]}}
	if inner == 1 {
		return r.d.run(v, "reduce_inner", [3]int{r.d.blocks(outer, 8)}, 256, 0, x.ptr, out[0].ptr, int64(outer), int64(length))
	}
	return r.d.run(v, "reduce_strided", [3]int{r.d.blocks(outer*inner, 256)}, 256, 0,
		x.ptr, out[0].ptr, int64(outer), int64(length), int64(inner))
}

// normalizeKernel divides each row by max(its norm, 1e-12). Float32 rows
// of up to 4096 elements (a multiple of 4) are read once, into registers.
func normalizeKernel(r *runner, s *engine.Step, in, out []arg) error {
	x := in[0]
	d := x.Shape[len(x.Shape)-1]
	rows := x.Shape.Size() / d
	if x.DType == engine.Float32 && d%4 == 0 && d <= 32*4*32 {
		nv := (d/4 + 31) / 32
		v := variant{file: "reduce.cu", kind: "normalize4", dtype: engine.Float32, params: []string{fmt.Sprintf("nv%d", nv)},
			defines: []string{"T=float", fmt.Sprintf("NV4=%d", nv)}}
		return r.d.run(v, "normalize_rows4", [3]int{r.d.blocks(rows, 8)}, 256, 0, x.ptr, out[0].ptr, int64(rows), int64(d/4))
	}
	v := variant{file: "reduce.cu", kind: "normalize", dtype: x.DType, defines: []string{"T=" + ctype(x.DType)}}
	return r.d.run(v, "normalize_rows", [3]int{r.d.blocks(rows, 8)}, 256, 0, x.ptr, out[0].ptr, int64(rows), int64(d))
}

// rowScales launches row_scales over x [rows, d] (float or int8): s[r] =
// f[r]/max(f[r]*||x_r||, 1e-12) when norm, else f[r] (f = 1 when 0), and
// the scaled norm into n2 when n2 != 0. It returns s in run scratch.
func (r *runner) rowScales(x arg, rows, d int, f dptr, norm bool, n2 dptr) (dptr, error) {
	sp, err := r.tmp(4 * rows)
	if err != nil {
		return 0, err
	}
	v := variant{file: "reduce.cu", kind: "rowscales", dtype: x.DType, defines: []string{"T=" + ctype(x.DType)}}
	err = r.d.run(v, "row_scales", [3]int{r.d.blocks(rows, 8)}, 256, 0, x.ptr, f, sp, n2, int64(rows), int64(d), norm)
	return sp, err
}
