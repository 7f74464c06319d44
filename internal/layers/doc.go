// Package layers holds no code: its test checks the import rules between
// Silica's packages with `go list`, on linux and on darwin with cgo (the
// build that has the Metal backend):
//
//   - the engine, the store and the kernels (kernels/..., sources and their
//     test harnesses) import no backend: the engine and the store speak to
//     backends only through engine.Backend, and a kernel reaches a backend
//     by name through the engine's registry (engine.Open);
//   - no command (cmd/...) imports an example (examples/...): what a
//     command needs is a package of the product.
//
// The backends are cpu, cuda, metal, torchcompat, mlxcompat, the shim they
// share (internal/shim) and the aggregator that imports them (backends).
// The rules hold for the packages' own imports, direct or not; their
// tests may import what they check against.
package layers
