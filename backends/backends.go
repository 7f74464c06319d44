// Package backends registers every Silica backend available on this
// platform, for programs that want them all:
//
//	import _ "github.com/silica-go/silica/backends"
//
// A backend whose device or library is absent still registers; opening it
// then fails with an error that says what to install, and engine.Default
// moves on to the next.
package backends

import (
	_ "github.com/silica-go/silica/cpu"         // the pure-Go backend, everywhere
	_ "github.com/silica-go/silica/cuda"        // NVIDIA GPUs: driver API and NVRTC through purego, no cgo
	_ "github.com/silica-go/silica/metal"       // Apple GPUs (darwin with cgo; registers nothing elsewhere)
	_ "github.com/silica-go/silica/mlxcompat"   // real MLX, through a C++ shim built at first use
	_ "github.com/silica-go/silica/torchcompat" // real libtorch (cpu, cuda, mps), likewise
)
