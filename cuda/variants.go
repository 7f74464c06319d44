package cuda

import "github.com/silica-go/silica/engine"

// floatTypes are the float storage types every float kernel has.
var floatTypes = []engine.DType{engine.Float32, engine.Float16, engine.BFloat16}

// defaultVariants lists the variants the backend builds in its default
// settings: those each op-family file registers (registerFamily), made by
// the constructors its launch sites call, over the dtypes and sizes those
// are called with: a kernel kind of each family for every dtype it takes,
// the row scans at a vectorised and a ragged row length, the tensor-core
// scans in their default tilings. The compile test
// (TestCompileEveryVariant) builds each with NVRTC. Generated element-wise
// kernels are not listed: each program has its own.
func defaultVariants() []variant {
	var vs []variant
	for _, f := range families {
		if f.variants != nil {
			vs = append(vs, f.variants()...)
		}
	}
	return vs
}
