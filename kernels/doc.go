// Package kernels holds Silica's kernel sources: the handwritten Metal
// Shading Language kernels (metal/*.metal and their shared header
// metal/silica.h, embedded here), the template of generated element-wise
// kernels (metal/fused.tmpl), the CUDA C kernels (package kernels/cuda),
// the kernel-name builder (Name), and their test harnesses (package
// msltest runs MSL on the CPU; package kerneltest checks a custom kernel
// against its Go function). It holds no backend code: the Metal backend's
// manifest and lowering live in package metal, next to its cpu and cuda
// counterparts.
//
// # Families and names
//
// One source file per op family: normalize (row normalization, row norms),
// reduce (sum, max, norm along an axis; sum and max over packed segments
// of rows, the segment_* kernels), matmul (simdgroup_matrix tiles; also
// the normalized and L2 products), topk (radix select, any k), cosine_topk
// (the fused scan and its merge), gather (gather, slice), convert (casts,
// int8 quantization) and attention (attention over packed sequences).
// Element-wise ops have no library family: each op or fused chain is an
// engine.Program spliced into metal/fused.tmpl. Shared code lives in
// metal/silica.h: element types (half, and bfloat16 as the scalar type
// bf16 with its own conversions, so no Metal 3.1 is needed), the params
// structs, ranking keys and the bitonic sort and merge.
//
// Kernel names are "<family>_<variant>_<dtype>[_<param>]", all built by
// Name. Variants are template instantiations, one function per name.
//
// # Compiling
//
// LibrarySource(family) is a family's source with silica.h inlined, for
// newLibraryWithSource (InlineHeader does the same for a generated
// kernel). Compile with fast math off (MTLCompileOptions mathMode safe,
// or fastMathEnabled NO): the kernels rely on IEEE NaN and infinity
// semantics (NaN ranks last in top-k, max propagates NaN).
//
// # Testing
//
// The kernels are tested through the Metal backend (go test ./metal): its
// tests compile every family in the harness, check the backend's manifest
// against the sources, and run every op on the backend over a harness
// device against the CPU backend and the shared backend suite. See
// README.md for what this does and does not prove.
package kernels
