// Command shimops writes internal/shim/csrc/silica_shim_ops.h, the compat
// shims' op codes and arity tables, from the engine's op table. It runs
// from go generate in internal/shim:
//
//	go generate ./internal/shim
package main

import (
	"fmt"
	"os"

	"github.com/silica-go/silica/internal/shim"
)

func main() {
	if err := os.WriteFile(shim.OpsHeaderFile, shim.OpsHeader(), 0o644); err != nil {
		fmt.Fprintln(os.Stderr, "shimops:", err)
		os.Exit(1)
	}
}
