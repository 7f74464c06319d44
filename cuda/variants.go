package cuda

import "github.com/silica-go/silica/engine"

// defaultVariants lists the variants the backend builds in its default
// settings, made by the constructors its launch sites call, over the
// dtypes and sizes those are called with: a kernel kind of each family
// for every dtype it takes, the row scans at a vectorised and a ragged
// row length, the tensor-core scans in their default tilings. The
// compile test (TestCompileEveryVariant) builds each with NVRTC.
// Generated element-wise kernels are not listed: each program has its
// own.
func defaultVariants() []variant {
	floats := []engine.DType{engine.Float32, engine.Float16, engine.BFloat16}
	all := append(floats, engine.Int8, engine.Int32, engine.Int64)
	var vs []variant
	for _, t := range append(floats, engine.Int8) {
		for _, op := range []engine.Op{engine.OpSum, engine.OpReduceMax, engine.OpNorm} {
			vs = append(vs, reduceVariant(op, t))
		}
		vs = append(vs, rowScalesVariant(t))
	}
	for _, a := range all { // casts to and from float32, and the copies
		vs = append(vs, castVariant(engine.Float32, a), castVariant(a, engine.Float32), castVariant(a, a))
	}
	for _, t := range floats {
		vs = append(vs, normalizeVariant(t), selectVariant(t), quantizeVariant(t),
			matmulVariant(t, t, false), matmulVariant(t, t, true), matmulVariant(t, engine.Int8, false))
		for _, mq := range []int{1, rowKernelMaxM} {
			for _, d := range []int{768, 100} {
				vs = append(vs, rowVariant(t, t, mq, d, 1, engine.MetricDot), rowVariant(t, t, mq, d, 0, engine.MetricL2))
			}
		}
		vs = append(vs, rowVariant(t, engine.Int8, 8, 768, 1, engine.MetricDot))
	}
	vs = append(vs, normalize4Variant(3), dequantizeVariant())
	for _, w := range copyWords {
		vs = append(vs, gatherVariant(engine.Int32, w.bytes, w.ctype), sliceVariant(w.bytes, w.ctype))
	}
	vs = append(vs, rescoreVariant())
	for _, t := range floats {
		for _, ss := range []string{"0", "1"} {
			vs = append(vs, v4Variant(t, ss, defaultV4(64)), v4Variant(t, ss, defaultV4(1024)),
				v4Variant(t, ss, defaultV5(64, t == engine.Float32)), v4Variant(t, ss, defaultV5(1024, t == engine.Float32)))
		}
	}
	return vs
}
