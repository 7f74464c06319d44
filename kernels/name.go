package kernels

import (
	"strings"

	"github.com/silica-go/silica/engine"
)

// Name builds a kernel's name, "<family>_<variant>_<dtype>[_<param>...]":
// for example Name("cosine_topk", "scan", engine.Float16, "128") is
// "cosine_topk_scan_float16_128". The dtype is the kernel's main element
// type (the stored rows, the input of a cast), written as
// engine.DType.String() spells it, and left out when it is
// engine.InvalidDType (a kernel that moves bytes of any type); params
// carry a second dtype or size classes, empty ones left out. It is the
// only place names are made, for every backend: the MSL instantiations
// use the same pattern and a test checks that every name the Metal
// manifest lists exists in the compiled library; the CUDA backend names
// each compiled variant with it.
func Name(family, variant string, dt engine.DType, params ...string) string {
	parts := []string{family, variant}
	if dt != engine.InvalidDType {
		parts = append(parts, dt.String())
	}
	for _, p := range params {
		if p != "" {
			parts = append(parts, p)
		}
	}
	return strings.Join(parts, "_")
}
