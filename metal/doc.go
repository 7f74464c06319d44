// Package metal is Silica's Apple Silicon backend: the MSL kernels of
// package kernels, compiled at run time and driven through
// github.com/progrium/darwinkit v0.5.0 (Metal's Objective-C API from Go,
// over cgo). It registers the engine driver "metal" on darwin with cgo;
// elsewhere the package builds, registers nothing, and New returns an
// error wrapping engine.ErrUnavailable.
//
//	import _ "github.com/silica-go/silica/metal"
//	e, err := engine.Open("metal")
//
// # Building
//
// A Mac with Apple Silicon (the Apple7 GPU family: M1 or later), Go with
// cgo enabled (the default on macOS) and Xcode's command-line tools
// (xcode-select --install), which provide clang and the Metal framework.
//
// # Device
//
// darwinkit wraps Metal's Objective-C classes but not the C function
// MTLCreateSystemDefaultDevice, so device_darwin.m calls it and the
// pointer becomes a darwinkit metal.DeviceObject. Device reports the GPU's
// name, its recommendedMaxWorkingSetSize (the memory it can use without
// hurting performance) and unified memory.
//
// # Memory
//
// Buffers are MTLBuffers in shared storage: host and GPU address the same
// pages, so Write and Read are memory copies and nothing moves at dispatch.
// Freed buffers wait in a pool by size class for the next plan, bounded
// to an eighth of the working set. WrapHost (engine.HostWrapper, used by
// engine.FromBytesNoCopy) hands the GPU the caller's memory, such as a
// memory-mapped store file, with newBufferWithBytesNoCopy over the pages
// that hold it; memory Metal cannot take in place is copied. MemoryInUse
// (engine.MemoryReporter) counts allocated buffers, pooled ones included,
// for the store's memory budget.
//
// # Kernels and plans
//
// Each kernel family's MSL is compiled once per process
// (newLibraryWithSource, fast math off so that NaN and infinities follow
// IEEE rules), pipelines are built on first use and cached, and a source
// that fails to compile fails every run that needs it with the kernel's
// name and the compiler's message. Run lowers each step of a plan to its
// kernels' launches, as the manifest says (bindings, threadgroup size and
// memory, scratch buffers), encodes them all into one
// concurrent compute encoder of one command buffer with a memory barrier
// wherever a launch reads or overwrites what an earlier one since the last
// barrier touched, commits it and waits; a command buffer that fails is a
// Go error with Metal's description. Custom kernels (engine.NewKernel with
// an MSL source) are compiled from their own source and dispatched with
// their Grid rule.
//
// # Op families
//
// One file per op family, named as in cpu/ and cuda/: attention.go, convert.go,
// elementwise.go, gather.go, matmul.go, reduce.go, scan.go, segment.go,
// topk.go and custom.go. Each registers, for the ops it runs, a step kernel with the
// shape of the other backends' (batch, step, inputs, outputs), and the
// manifest rows of its library kernels (manifest.go: each kernel's
// buffer bindings and their roles, threadgroup size and memory), which a
// test checks against the MSL source. Element-wise ops, single or fused,
// run as one kernel generated from their engine.Program, as on CUDA.
//
// # Capabilities
//
// Supports (engine.Capabilities) accepts the ops and fusions the kernels
// implement, with their limits: a fused scan asks for more results per
// query than its kernel keeps is refused, so the engine plans a matrix
// product and a separate top-k instead.
//
// # Verification
//
// No Mac was available while this package was written. What was verified
// where:
//
//   - On Linux, in CI (.ci/run): every Go line of the darwin build, this
//     package and darwinkit included, is type-checked by
//     internal/tools/darwincheck, and the darwin build without cgo is
//     vetted. All of the backend but its native layer (the *_darwin.go
//     files that call darwinkit, and device_darwin.m): lowering,
//     bindings, scratch and status buffers, pipeline cache, barrier
//     placement, pooling, zero-copy wrapping, custom kernels, errors,
//     runs on a test device whose kernels execute in the CPU harness of
//     package kernels/msltest: the shared backend suite
//     (engine/backendtest) passes there with the same MSL sources the
//     backend gives Metal, and a kernel that writes a buffer its binding
//     declares read-only fails the run. The test device runs the launches
//     between two barriers overlapped, none seeing another's writes, and
//     fails a run where one touches memory another of them writes: a
//     missing barrier fails the suite.
//   - Only on a Mac (.github/workflows/macos.yml, or go test there): the
//     Objective-C file, the darwinkit calls at run time, Apple's MSL
//     compiler, and the suite on the GPU. None of that has run yet; no
//     Metal timing exists.
package metal
