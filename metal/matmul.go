package metal

import (
	"github.com/silica-go/silica/engine"
	"github.com/silica-go/silica/kernels"
)

// Matmul tiling (metal/matmul.metal): 32x32 output blocks, k in steps of
// 16, 4 SIMD groups.
const (
	matmulThreads = 128
	matmulBlock   = 32
	matmulMemory  = (32*16 + 16*32 + 32*32) * 4
)

func init() {
	for _, dt := range floatTypes {
		for _, quant := range []bool{false, true} {
			k := &mslKernel{
				Name: kernels.Name("matmul", "tiled", dt, ""), Family: "matmul",
				Ops:     []engine.Op{engine.OpMatMul, engine.OpNormMatMul, engine.OpL2Distance},
				Threads: matmulThreads,
				Buffers: []binding{{0, "a", roleInput, false}, {1, "b", roleInput, false}, {2, "y", roleOutput, true},
					{3, "p", roleParams, false}, {4, "sa", roleScratch, false}, {5, "sb", roleScratch, false}},
				ThreadgroupMemory: []int{matmulMemory},
			}
			if quant {
				if dt != engine.Float32 {
					continue // the engine pairs int8 rows with float32 only
				}
				k.Name = kernels.Name("matmul", "tiled", dt, "int8")
				k.Ops = []engine.Op{engine.OpNormMatMul}
				k.Buffers = append(k.Buffers, binding{6, "qscale", roleInput, false})
			}
			register(k)
		}
	}
	stepKernels[engine.OpMatMul] = matmulKernel
	fits[engine.OpMatMul] = matmulFits
	stepKernels[engine.OpNormMatMul] = matmulKernel
	fits[engine.OpNormMatMul] = matmulFits
	stepKernels[engine.OpL2Distance] = matmulKernel
	fits[engine.OpL2Distance] = matmulFits
}

// matmulParams packs silica.h's MatmulParams {uint m, n, k, trans_a,
// trans_b, epilogue, scale_a, scale_b;}.
func matmulParams(m, n, k int, transA, transB bool, epilogue int, scaleA, scaleB bool) []byte {
	return params(m, n, k, transA, transB, epilogue, scaleA, scaleB)
}

func matmulFits(a *engine.Attrs, in []engine.Value) bool {
	for _, v := range in {
		if v.Shape.Size() > 1<<31 {
			return false
		}
	}
	if a.Quantize && in[0].DType != engine.Float32 {
		return false
	}
	return len(in) < 2 || in[0].DType.IsFloat()
}

// lowerMatmul: OpMatMul is one dispatch; OpNormMatMul first computes the
// inverse norms of the rows it normalizes (scratch 0 for a, 1 for b);
// OpL2Distance the squared norms of both.
func matmulKernel(b *batch, s *engine.Step, in, out []engine.Value) error {
	a := s.Attrs
	av, bv := in[0], in[1]
	m, n := out[0].Shape[0], out[0].Shape[1]
	kdim := av.Shape[1]
	if s.Op == engine.OpMatMul && a.TransA {
		kdim = av.Shape[0]
	}
	transB := s.Op != engine.OpMatMul || a.TransB
	quant := s.Op == engine.OpNormMatMul && a.Quantize
	name := kernels.Name("matmul", "tiled", av.DType, "")
	if quant {
		name = kernels.Name("matmul", "tiled", av.DType, "int8")
	}
	k, err := mustKernel(name)
	if err != nil {
		return err
	}
	l := &stepLaunch{Status: -1, Scratch: []int{4 * m, 4 * n}}
	epilogue, scaleA, scaleB := 0, false, false
	scales := -1
	if quant {
		scales = 2
	}
	norms := func(variant string, x engine.Value, operand, sc, dst int) error {
		d, err := rowNorms(variant, x, operand, sc, dst)
		if err == nil {
			l.Dispatches = append(l.Dispatches, d)
		}
		return err
	}
	switch {
	case s.Op == engine.OpL2Distance:
		epilogue, scaleA, scaleB = 1, true, true
		if err := norms("sqnorm", av, 0, -1, 0); err != nil {
			return err
		}
		if err := norms("sqnorm", bv, 1, -1, 1); err != nil {
			return err
		}
	case s.Op == engine.OpNormMatMul:
		scaleA, scaleB = a.NormA, a.NormB
		if a.NormA {
			if err := norms("invnorm", av, 0, -1, 0); err != nil {
				return err
			}
		}
		if a.NormB {
			// for int8 rows the factor is 1/||scale*q||; the kernel also
			// multiplies by the scale itself
			if err := norms("invnorm", bv, 1, scales, 1); err != nil {
				return err
			}
		}
	}
	args := []kernelArg{argIn(0), argIn(1), argOut(0),
		argParams(matmulParams(m, n, kdim, s.Op == engine.OpMatMul && a.TransA, transB, epilogue, scaleA, scaleB)),
		argScratch(0), argScratch(1)}
	if quant {
		args = append(args, argIn(2))
	}
	l.Dispatches = append(l.Dispatches, dispatch(k, groups2(ceilDiv(n, matmulBlock), ceilDiv(m, matmulBlock)), args))
	return b.encode(l)
}
