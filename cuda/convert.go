package cuda

import "github.com/silica-go/silica/engine"

func init() {
	kernels[engine.OpCast] = castKernel
	kernels[engine.OpQuantize] = quantizeKernel
	kernels[engine.OpDequantize] = dequantizeKernel
}

func castKernel(r *runner, s *engine.Step, in, out []arg) error {
	x, y := in[0], out[0]
	n := x.Shape.Size()
	v := variant{file: "convert.cu", kind: "cast", dtype: x.DType, params: []string{y.DType.String()},
		defines: []string{"SRC=" + ctype(x.DType), "DST=" + ctype(y.DType)}}
	return r.d.run(v, "cast", [3]int{r.d.blocks(n, 256)}, 256, 0, x.ptr, y.ptr, int64(n))
}

func quantizeKernel(r *runner, s *engine.Step, in, out []arg) error {
	x := in[0]
	rows, d := x.Shape[0], x.Shape[1]
	v := variant{file: "convert.cu", kind: "quantize", dtype: x.DType, defines: []string{"T=" + ctype(x.DType)}}
	return r.d.run(v, "quantize_rows", [3]int{r.d.blocks(rows, 8)}, 256, 0,
		x.ptr, out[0].ptr, out[1].ptr, int64(rows), int64(d))
}

func dequantizeKernel(r *runner, s *engine.Step, in, out []arg) error {
	rows, d := in[0].Shape[0], in[0].Shape[1]
	v := variant{file: "convert.cu", kind: "dequantize", dtype: engine.Int8}
	return r.d.run(v, "dequantize_rows", [3]int{r.d.blocks(rows*d, 256)}, 256, 0,
		in[0].ptr, in[1].ptr, out[0].ptr, int64(rows), int64(d))
}
