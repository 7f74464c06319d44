package cuda

import "github.com/silica-go/silica/engine"

// Supports reports which steps the backend runs (engine.Capabilities):
// every op of the enum, fused element-wise programs of float inputs, the
// fused cosine, and the fused scan up to k = maxFusedK (above it the
// engine runs the product and a topk, which has no limit on k).
func (b *Backend) Supports(op engine.Op, attrs *engine.Attrs, in []engine.Value) bool {
	if _, ok := kernels[op]; !ok {
		return false
	}
	switch op {
	case engine.OpFusedElementwise:
		for _, v := range in {
			if !v.DType.IsFloat() {
				return false
			}
		}
	case engine.OpCustom:
		return attrs.Kernel != nil && attrs.Kernel.Spec().CUDA != ""
	case engine.OpScanTopK:
		return attrs.K >= 1 && attrs.K <= maxFusedK
	}
	return true
}
