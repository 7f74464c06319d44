// Package cpu is Silica's pure-Go backend: every engine op and fusion on
// the host's cores, with no limit on k. It is the reference the GPU
// backends are tested against, so each kernel is written to be right
// first: sums of squares and reductions accumulate in float64, top-k keeps
// an exact bounded heap per worker and merges them, ties go to the smaller
// index and NaN ranks last.
//
// # Kernels
//
// One file per op family, the same names as the other backends:
// elementwise.go (single ops and fused programs, interpreted a vector of
// 2048 lanes at a time), reduce.go (sum, max, norm, normalize), matmul.go
// (matmul, fused normalize-matmul, L2 distance: operands packed as rows,
// tiled dot products), topk.go (top-k and the fused scan), gather.go
// (gather, slice) and convert.go (cast, quantize, dequantize).
//
// # Speed
//
// The fused scan reads each stored row once for all queries; its inner
// loop is a dot product (dot.go), which the architecture files replace
// with SIMD code where the machine has it. Import the package for its
// side effect to register the "cpu" driver:
//
//	import _ "github.com/silica-go/silica/cpu"
package cpu
