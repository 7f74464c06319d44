// Package metal is Silica's Apple Silicon backend: the MSL kernels of
// package kernels, compiled at run time and driven through
// github.com/progrium/darwinkit (Metal's Objective-C API from Go, over
// cgo). It registers the engine driver "metal" on darwin; on other systems
// the package builds and registers nothing, and engine.Open("metal") fails
// with the list of registered backends.
//
//	import _ "github.com/silica-go/silica/metal"
//	e, err := engine.Open("metal")
//
// Building it needs a Mac with Apple Silicon, Go with cgo enabled and
// Xcode's command-line tools (xcode-select --install) for clang and the
// Metal framework headers.
package metal
