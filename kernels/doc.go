// Package kernels holds Silica's handwritten Metal Shading Language
// kernels (metal/*.metal, embedded) and their manifest: for every kernel
// function, its buffer bindings, threadgroup size and memory, and the
// engine ops it implements; and for every engine step, the dispatches
// that run it (Lower). The Metal backend builds its pipelines and
// command buffers from the manifest alone; the CPU harness (package
// msltest) runs the same dispatches in CI.
//
// # Families and names
//
// One source file per op family, named like the CPU backend's files:
// normalize (row normalization, row norms), reduce (sum, max, norm),
// elementwise (unary, binary, FMA with broadcasting), matmul
// (simdgroup_matrix tiles; also the normalized and L2 products), topk
// (radix select, any k), cosine_topk (the fused scan and its merge),
// gather (gather, slice) and convert (casts, int8 quantization). Shared
// code lives in metal/silica.h: element types (half, and bfloat16 as the
// scalar type bf16 with its own conversions, so no Metal 3.1 is needed),
// the params structs, ranking keys and the bitonic sort and merge.
//
// Kernel names are "<family>_<variant>_<dtype>[_<param>]", all built by
// Name. Variants are template instantiations, one function per name;
// the scan's k is rounded up to a power of two from 32 to MaxScanK.
// No function constants are used.
//
// # Bindings
//
// Kernel.Buffers lists each kernel's [[buffer(i)]] parameters with their
// Role: a step Input or Output, a Params struct (set with setBytes; its
// layout is the MSL struct in silica.h, 4-byte fields only, packed by the
// exported *Params functions here), or a Scratch buffer of the step.
// Kernel.ThreadgroupMemory gives the length of each [[threadgroup(i)]].
// All threadgroups are one-dimensional: [Kernel.Threads, 1, 1].
//
// # Running a step
//
// Lower(step, in, out) returns a Launch: the scratch buffers to allocate
// (and which to zero), then dispatches in order, each Groups threadgroups
// with one Arg per binding. A backend encodes them in order into its
// command buffer, with a memory barrier before each dispatch that reads
// a buffer written since the last barrier, or writes one read or written
// since then (the Metal backend's hazard tracking), and afterwards passes
// the Launch.Status scratch buffer, if any, to CheckStatus (gather
// reports an index out of range there). Supports says which steps Lower accepts; a
// backend returns it from engine.Capabilities.Supports, so that the
// engine fuses only what the kernels run: the fused scan for k up to
// MaxScanK (beyond, the engine runs the matmul and topk_radix, which has
// no limit on k), fused element-wise chains of up to MaxFusedInputs
// inputs.
//
// # Fused element-wise kernels
//
// A fused chain (engine.OpFusedElementwise) is compiled from its program:
// FusedKernel splices engine.Program.Source() into metal/fused.tmpl as
// the body of silica::fused_body, whose float registers r0.. are the
// inputs loaded with their broadcast strides; the C math names the body
// calls (sqrtf, fmaxf, __int_as_float...) are defined in namespace
// silica in silica.h. The kernel's Source is self-contained; compile it
// once per name.
//
// # Compiling
//
// LibrarySource(family) is a family's source with silica.h inlined, for
// newLibraryWithSource. Compile with fast math off (MTLCompileOptions
// mathMode safe, or fastMathEnabled NO): the kernels rely on IEEE NaN and
// infinity semantics (NaN ranks last in top-k, max propagates NaN).
//
// # Limits
//
// Sizes are 32-bit inside the kernels: element counts of element-wise,
// cast and copy steps below 2^31, rows of top-k and the scan below 2^32
// (Supports refuses larger). Threadgroup memory stays within 32 KiB.
//
// # Testing
//
// The tests (go test ./kernels/...) compile every family in the harness,
// check the manifest against the sources (every name exists, every
// binding's index and parameter name match), run every op through an
// engine whose backend lowers steps with Lower and runs them in the
// harness, and compare with the CPU backend and with the shared backend
// suite (engine/backendtest) on fresh random inputs at awkward sizes,
// with outputs poisoned before each run. Deliberately broken variants
// (testdata/broken) show that missing barriers and off-by-one errors are
// caught. See README.md for what this does and does not prove.
package kernels
