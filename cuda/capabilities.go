package cuda

import "github.com/silica-go/silica/engine"

// Supports reports which steps the backend runs (engine.Capabilities):
// every op of the enum, fused element-wise programs of float inputs, the
// fused cosine, and the fused scan for any k (a large k is scored and
// selected in chunks of queries, scan.go's scoreSelect, so the [m, n]
// score matrix is never whole), with a row bitmap (Attrs.Mask) too: the
// masked row scan, or the scores masked by mask_rows before the select.
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
		// A masked scan (Attrs.Mask) runs on the row scan: scan.go.
		return attrs.K >= 1 && (!attrs.Mask || in[len(in)-1].DType == engine.Int32)
	}
	return true
}
