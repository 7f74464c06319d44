package cuda

import (
	"github.com/silica-go/silica/engine"
)

func init() {
	kernels[engine.OpMatMul] = matmulKernel
	kernels[engine.OpNormMatMul] = matmulKernel
	kernels[engine.OpL2Distance] = matmulKernel
	registerFamily(func() []variant {
		var vs []variant
		for _, t := range floatTypes {
			vs = append(vs, matmulVariant(t, t, false), matmulVariant(t, t, true), matmulVariant(t, engine.Int8, false))
		}
		return vs
	}, matmulTiledArgs{})
}

// rowKernelMaxM is the most rows of a for which a product against rows
// of b [n, k] runs as the row kernel of scan.cu (b read once, a warp a
// row of b) instead of the tiled product.
const rowKernelMaxM = 8

// matmulKernel computes MatMul, NormMatMul and L2Distance in float32.
func matmulKernel(r *runner, s *engine.Step, in, out []arg) error {
	a, b := in[0], in[1]
	at := s.Attrs
	transA := s.Op == engine.OpMatMul && at.TransA
	transB := s.Op != engine.OpMatMul || at.TransB // b stored [n, k]
	m, k := a.Shape[0], a.Shape[1]
	if transA {
		m, k = k, m
	}
	n := b.Shape[1]
	if transB {
		n = b.Shape[0]
	}
	normA := s.Op == engine.OpNormMatMul && at.NormA
	normB := s.Op == engine.OpNormMatMul && at.NormB
	var scales dptr
	if s.Op == engine.OpNormMatMul && at.Quantize {
		scales = in[2].ptr
	}
	l2 := s.Op == engine.OpL2Distance
	var sa dptr
	if normA {
		var err error
		if sa, err = r.rowScales(a, m, k, 0, true, 0); err != nil {
			return err
		}
	}
	if !transA && transB && m <= rowKernelMaxM {
		metric := engine.MetricDot
		if l2 {
			metric = engine.MetricL2
		}
		return r.rowScores(a, b, m, n, k, sa, scales, normB, metric, out[0].ptr)
	}
	var sb dptr
	if normB || scales != 0 {
		var err error
		if sb, err = r.rowScales(b, n, k, scales, normB, 0); err != nil {
			return err
		}
	}
	sam, sak := int64(k), int64(1)
	if transA {
		sam, sak = 1, int64(m)
	}
	sbk, sbn := int64(n), int64(1)
	if transB {
		sbk, sbn = 1, int64(k)
	}
	return launch(r.d, matmulVariant(a.DType, b.DType, l2), [3]int{(n + 63) / 64, (m + 63) / 64}, 256, 0, matmulTiledArgs{
		a: a.ptr, b: b.ptr, c: out[0].ptr, m: int64(m), n: int64(n), K: int64(k), sam: sam, sak: sak, sbk: sbk, sbn: sbn, sa: sa, sb: sb})
}

// matmulVariant is matmul.cu's matmul_tiled of a of dtype ta by b of
// dtype tb: products, or squared distances when l2.
func matmulVariant(ta, tb engine.DType, l2 bool) variant {
	l2d := "0"
	if l2 {
		l2d = "1"
	}
	return variant{file: "matmul.cu", kind: "tiled", dtype: ta, params: []string{tb.String(), "l" + l2d},
		defines: []string{"T=" + ctype(ta), "TB=" + ctype(tb), "L2=" + l2d}}
}

// matmulTiledArgs are the parameters of matmul_tiled (matmul.cu).
type matmulTiledArgs struct {
	a, b, c            dptr
	m, n, K            int64
	sam, sak, sbk, sbn int64
	sa, sb             dptr
}

func (matmulTiledArgs) entry() (string, string) { return "matmul.cu", "matmul_tiled" }
func (p matmulTiledArgs) pack(a *argPack) {
	a.ptr(p.a).ptr(p.b).ptr(p.c).i64(p.m).i64(p.n).i64(p.K).i64(p.sam).i64(p.sak).i64(p.sbk).i64(p.sbn).ptr(p.sa).ptr(p.sb)
}
