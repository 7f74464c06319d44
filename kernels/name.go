package kernels

import (
	"strings"

	"github.com/silica-go/silica/engine"
)

// Name builds a kernel's function name, "<family>_<variant>_<dtype>" or,
// with a non-empty param, "<family>_<variant>_<dtype>_<param>": for
// example Name("cosine_topk", "scan", engine.Float16, "128") is
// "cosine_topk_scan_float16_128". The dtype is the kernel's main element
// type (the stored rows, the input of a cast); param carries a second
// dtype or a size class. It is the only place names are made: the MSL
// instantiations use the same pattern and a test checks that every name
// the manifest lists exists in the compiled library.
func Name(family, variant string, dt engine.DType, param string) string {
	parts := []string{family, variant, dt.String()}
	if param != "" {
		parts = append(parts, param)
	}
	return strings.Join(parts, "_")
}
