package cuda

import (
	"github.com/silica-go/silica/engine"
)

func init() {
	kernels[engine.OpTopK] = topkKernel
	registerFamily(func() []variant {
		var vs []variant
		for _, t := range floatTypes {
			vs = append(vs, selectVariant(t))
		}
		return vs
	}, topkSelectArgs{})
}

// selectSmemKeys mirrors SELECT_SMEM_KEYS of topk.cu: larger selections
// sort in scratch memory.
const selectSmemKeys = 2048

func pow2AtLeast(n int) int {
	p := 1
	for p < n {
		p <<= 1
	}
	return p
}

// topkKernel selects along the last axis, one block a row, any k.
func topkKernel(r *runner, s *engine.Step, in, out []arg) error {
	x := in[0]
	n := x.Shape[len(x.Shape)-1]
	rows := x.Shape.Size() / n
	return r.selectRows(x.DType, x.ptr, 0, rows, n, s.Attrs.K, s.Attrs.Largest, out[0].ptr, out[1].ptr, 0)
}

// selectRows runs topk_select over rows of length L: scores x of dtype dt
// (keys == 0) or rank keys; it writes vals/idx, or keys into outKeys when
// vals == 0.
func (r *runner) selectRows(dt engine.DType, x, keys dptr, rows, L, k int, largest bool, vals, idx, outKeys dptr) error {
	var scratch dptr
	if kp := pow2AtLeast(k); kp > selectSmemKeys {
		var err error
		if scratch, err = r.tmp(8 * rows * kp); err != nil {
			return err
		}
	}
	if keys != 0 {
		dt = engine.Float32
	}
	return launch(r.d, selectVariant(dt), [3]int{min(rows, 1<<30)}, 512, 0, topkSelectArgs{x: x, keysIn: keys, rows: int64(rows), L: int64(L),
		k: int32(k), largest: largest, vals: vals, idx: idx, outKeys: outKeys, scratch: scratch})
}

// selectVariant is topk.cu's topk_select of scores of dtype t.
func selectVariant(t engine.DType) variant {
	return variant{file: "topk.cu", kind: "select", dtype: t, defines: []string{"T=" + ctype(t)}}
}

// topkSelectArgs are the parameters of topk_select (topk.cu).
type topkSelectArgs struct {
	x, keysIn                   dptr
	rows, L                     int64
	k                           int32
	largest                     bool
	vals, idx, outKeys, scratch dptr
}

func (topkSelectArgs) entry() (string, string) { return "topk.cu", "topk_select" }
func (p topkSelectArgs) pack(a *argPack) {
	a.ptr(p.x).ptr(p.keysIn).i64(p.rows).i64(p.L).i32(p.k).flag(p.largest).ptr(p.vals).ptr(p.idx).ptr(p.outKeys).ptr(p.scratch)
}
