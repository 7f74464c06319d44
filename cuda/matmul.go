package cuda

import (
	"fmt"

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
	registerFamily(func() []variant {
		return []variant{matmulMMAVariant(engine.Float16), matmulMMAVariant(engine.BFloat16)}
	}, matmulMMAArgs{})
	registerFamily(func() []variant {
		var vs []variant
		for _, t := range []engine.DType{engine.Float16, engine.BFloat16} {
			for _, qb := range skinnyBlocks {
				vs = append(vs, skinnyVariant(t, qb))
			}
		}
		return vs
	}, skinnyArgs{})
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
	if !r.b.cfg.TiledMatMul && mmaProduct(r.d, a, b, m, n, k, transA, transB, l2) {
		return r.mmaMatMul(a.DType, a.ptr, b.ptr, out[0].ptr, m, n, k, sa, sb)
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

// The tensor-core product (matmul_mma.cu): 128 x 128 tiles of C, two
// stages of 128 + 128 rows of 80 bytes in shared memory.
const (
	mmaTile = 128
	mmaSmem = 2 * (2 * mmaTile) * (32*2 + 16)
)

// mmaProduct reports whether a product runs on tensor cores: A [m, k] by
// B stored [n, k], both float16 or both bfloat16 (each product exact in
// float32, as the tiled kernel's), not a distance, on a GPU with mma.sync
// for 16-bit types (compute capability 8.0 or later), with k a multiple
// of 8 and both operands 16-byte aligned, so that every row of a tile is
// whole 16-byte copies.
func mmaProduct(d *device, a, b arg, m, n, k int, transA, transB, l2 bool) bool {
	t := a.DType
	return d.cc >= 80 && !transA && transB && !l2 && b.DType == t && (t == engine.Float16 || t == engine.BFloat16) &&
		k%8 == 0 && a.ptr%16 == 0 && b.ptr%16 == 0 && m > 0 && n > 0
}

// mmaMatMul launches matmul_mma: c [m, n] = sa[i] sb[j] a·bᵀ for a [m, k]
// and b [n, k] of type t, contiguous (mmaProduct's conditions hold); or,
// for m up to skinnyMaxM when the queries fit in shared memory,
// matmul_skinny.
func (r *runner) mmaMatMul(t engine.DType, a, b, c dptr, m, n, k int, sa, sb dptr) error {
	if qb, smem := skinnyShape(m, k); qb > 0 && smem <= r.d.smemOptin && !r.b.cfg.NoSkinny {
		v := skinnyVariant(t, qb)
		nb := max(1, min((n+127)/128, r.d.sms*skinnyMinB(qb)))
		return launch(r.d, v, [3]int{nb}, 256, smem, skinnyArgs{
			a: a, b: b, c: c, m: int64(m), n: int64(n), K: int64(k), lda: int64(k), ldb: int64(k), sa: sa, sb: sb})
	}
	return launch(r.d, matmulMMAVariant(t), [3]int{(n + mmaTile - 1) / mmaTile, (m + mmaTile - 1) / mmaTile}, 256, mmaSmem, matmulMMAArgs{
		a: a, b: b, c: c, m: int64(m), n: int64(n), K: int64(k), lda: int64(k), ldb: int64(k), sa: sa, sb: sb})
}

// matmulMMAVariant is matmul_mma.cu for 16-bit operands of type t.
func matmulMMAVariant(t engine.DType) variant {
	defs := []string{"T=" + ctype(t)}
	if t == engine.BFloat16 {
		defs = append(defs, "IS_BF16")
	}
	return variant{file: "matmul_mma.cu", kind: "tc", dtype: t, defines: defs}
}

// skinnyBlocks are the query blocks of 8 that matmul_skinny is compiled
// for; skinnyMaxM is the most rows of a it takes.
var skinnyBlocks = []int{1, 2, 4, 8}

const skinnyMaxM = 64

// skinnyShape is the query blocks and the dynamic shared memory of
// matmul_skinny for m rows of k values; 0 blocks when m is past
// skinnyMaxM.
func skinnyShape(m, k int) (qb, smem int) {
	if m > skinnyMaxM {
		return 0, 0
	}
	qb = skinnyBlocks[0]
	for 8*qb < m {
		qb *= 2
	}
	k32 := (k + 31) / 32
	stride := 64 * k32
	if k32%2 == 0 {
		stride += 64
	}
	return qb, 8 * qb * stride
}

// skinnyMinB is the blocks an SM matmul_skinny is compiled for with qb
// query blocks (its registers: 4 accumulators a query block).
func skinnyMinB(qb int) int {
	if qb >= 8 {
		return 3
	}
	return 4
}

// skinnyVariant is matmul_skinny.cu for 16-bit operands of type t and qb
// query blocks of 8: the pieces loaded ahead fewer where the accumulators
// take more registers.
func skinnyVariant(t engine.DType, qb int) variant {
	u := 4
	if qb >= 4 {
		u = 2
	}
	defs := []string{"T=" + ctype(t), fmt.Sprintf("SK_QB=%d", qb), fmt.Sprintf("SK_U=%d", u), fmt.Sprintf("SK_MINB=%d", skinnyMinB(qb))}
	if t == engine.BFloat16 {
		defs = append(defs, "IS_BF16")
	}
	return variant{file: "matmul_skinny.cu", kind: "tc", dtype: t, params: []string{fmt.Sprintf("qb%d", qb)}, defines: defs}
}

// skinnyArgs are the parameters of matmul_skinny (matmul_skinny.cu).
type skinnyArgs matmulMMAArgs

func (skinnyArgs) entry() (string, string) { return "matmul_skinny.cu", "matmul_skinny" }
func (p skinnyArgs) pack(a *argPack)       { matmulMMAArgs(p).pack(a) }

// matmulMMAArgs are the parameters of matmul_mma (matmul_mma.cu).
type matmulMMAArgs struct {
	a, b, c  dptr
	m, n, K  int64
	lda, ldb int64
	sa, sb   dptr
}

func (matmulMMAArgs) entry() (string, string) { return "matmul_mma.cu", "matmul_mma" }
func (p matmulMMAArgs) pack(a *argPack) {
	a.ptr(p.a).ptr(p.b).ptr(p.c).i64(p.m).i64(p.n).i64(p.K).i64(p.lda).i64(p.ldb).ptr(p.sa).ptr(p.sb)
}
