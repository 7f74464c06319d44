package cuda

import "github.com/silica-go/silica/engine"

func init() {
	kernels[engine.OpCast] = castKernel
	kernels[engine.OpQuantize] = quantizeKernel
	kernels[engine.OpDequantize] = dequantizeKernel
	registerFamily(convertVariants, castArgs{}, quantizeRowsArgs{}, dequantizeRowsArgs{})
}

// convertVariants are the family's default variants: casts to and from
// float32 and the copies of every dtype, quantize of every float dtype,
// dequantize.
func convertVariants() []variant {
	var vs []variant
	for _, a := range append(floatTypes[:len(floatTypes):len(floatTypes)], engine.Int8, engine.Int32, engine.Int64) {
		vs = append(vs, castVariant(engine.Float32, a), castVariant(a, engine.Float32), castVariant(a, a))
	}
	for _, t := range floatTypes {
		vs = append(vs, quantizeVariant(t))
	}
	return append(vs, dequantizeVariant())
}

func castKernel(r *runner, s *engine.Step, in, out []arg) error {
	x, y := in[0], out[0]
	n := x.Shape.Size()
	return launch(r.d, castVariant(x.DType, y.DType), [3]int{r.d.blocks(n, 256)}, 256, 0, castArgs{x.ptr, y.ptr, int64(n)})
}

// castVariant is convert.cu's cast from src to dst.
func castVariant(src, dst engine.DType) variant {
	return variant{file: "convert.cu", kind: "cast", dtype: src, params: []string{dst.String()},
		defines: []string{"SRC=" + ctype(src), "DST=" + ctype(dst)}}
}

// castArgs are the parameters of cast (convert.cu).
type castArgs struct {
	x, y dptr
	n    int64
}

func (castArgs) entry() (string, string) { return "convert.cu", "cast" }
func (p castArgs) pack(a *argPack)       { a.ptr(p.x).ptr(p.y).i64(p.n) }

func quantizeKernel(r *runner, s *engine.Step, in, out []arg) error {
	x := in[0]
	rows, d := x.Shape[0], x.Shape[1]
	return launch(r.d, quantizeVariant(x.DType), [3]int{r.d.blocks(rows, 8)}, 256, 0,
		quantizeRowsArgs{x: x.ptr, q: out[0].ptr, scales: out[1].ptr, rows: int64(rows), d: int64(d)})
}

// quantizeVariant is convert.cu's quantize_rows of rows of dtype t.
func quantizeVariant(t engine.DType) variant {
	return variant{file: "convert.cu", kind: "quantize", dtype: t, defines: []string{"T=" + ctype(t)}}
}

// quantizeRowsArgs are the parameters of quantize_rows (convert.cu).
type quantizeRowsArgs struct {
	x, q, scales dptr
	rows, d      int64
}

func (quantizeRowsArgs) entry() (string, string) { return "convert.cu", "quantize_rows" }
func (p quantizeRowsArgs) pack(a *argPack)       { a.ptr(p.x).ptr(p.q).ptr(p.scales).i64(p.rows).i64(p.d) }

func dequantizeKernel(r *runner, s *engine.Step, in, out []arg) error {
	rows, d := in[0].Shape[0], in[0].Shape[1]
	return launch(r.d, dequantizeVariant(), [3]int{r.d.blocks(rows*d, 256)}, 256, 0,
		dequantizeRowsArgs{q: in[0].ptr, scales: in[1].ptr, y: out[0].ptr, rows: int64(rows), d: int64(d)})
}

// dequantizeVariant is convert.cu's dequantize_rows.
func dequantizeVariant() variant {
	return variant{file: "convert.cu", kind: "dequantize", dtype: engine.Int8}
}

// dequantizeRowsArgs are the parameters of dequantize_rows (convert.cu).
type dequantizeRowsArgs struct {
	q, scales, y dptr
	rows, d      int64
}

func (dequantizeRowsArgs) entry() (string, string) { return "convert.cu", "dequantize_rows" }
func (p dequantizeRowsArgs) pack(a *argPack)       { a.ptr(p.q).ptr(p.scales).ptr(p.y).i64(p.rows).i64(p.d) }
