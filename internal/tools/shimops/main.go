// Command shimops prints silica_shim_ops.h, the compat shims' op codes,
// arity tables and element-wise lists, as shim.Build generates it from
// the engine's op table beside every shim source it compiles:
//
//	go run ./internal/tools/shimops
package main

import (
	"os"

	"github.com/silica-go/silica/internal/shim"
)

func main() { os.Stdout.Write(shim.OpsHeader()) }
