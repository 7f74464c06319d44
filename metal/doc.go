// Package metal will be Silica's Apple Silicon backend: MSL kernels from
// package kernels run through github.com/progrium/darwinkit. Not built yet
// (issue 5); until then it registers nothing and engine.Open("metal")
// fails with the list of registered backends.
package metal
