// Package cpu is Silica's pure-Go backend: every engine op and fusion on
// the host's cores, with no limit on k. It is the reference the GPU
// backends are tested against, so each kernel is written to be right
// first: reductions, norms of Normalize and sums accumulate in float64,
// top-k keeps an exact bounded selection per worker (a threshold and
// a buffer of 2k compacted by a radix selection) and merges them, ties go to
// the smaller index and NaN ranks last. Dot products and matrix products
// accumulate in float32, as on every backend.
//
// # Kernels
//
// One file per op family, the same names as the other backends:
// elementwise.go (single ops and fused programs, interpreted a vector of
// 2048 lanes at a time; add, sub, mul, div, exp and erf in AVX2, exp and
// erf by the polynomials of expf.go), reduce.go (sum, max, norm,
// normalize, layer norm), attention.go (attention over packed sequences:
// per sequence and head, the scores and the value product on the gemm,
// the softmax between them), segment.go (sums and maxima over packed
// segments of rows: a segment and block of columns a task), matmul.go
// (matmul and the fused normalize-matmul on the blocked gemm of gemm.go,
// the matmul epilogue applied by each worker to the block of the product
// it has just finished, still in its cache: epilogue.go; L2 distance from
// the differences), topk.go and scan.go (top-k and the
// fused scan; its tile kernel in dottile.go, its AMX screen in amx.go), gather.go (gather, slice) and convert.go (cast, quantize,
// dequantize). select.go is the bounded selection they share; pool.go
// keeps large freed buffers for reuse.
//
// # Speed
//
// The fused scan reads each stored row once, straight from memory. With
// one or two queries a direct row kernel scores the row in registers,
// converting float16 (F16C), bfloat16 or int8 elements eight at a time,
// so a float16 store is read at half the bytes of float32. With more
// queries, the scan works as a blocked matrix product: a tile of rows
// (192 KB as float32, in the L2 cache) is converted and its row norms
// summed once, then every block of queries is scored against it by a
// register-blocked tile kernel into a small score tile, whose rows go to
// each query's selection, eight scores to a threshold compare first
// (select_amd64.s). The tile kernels are dottile_amd64.s (4 queries x 3
// rows, twelve FMAs for seven loads) and, with AVX-512, dottile512_amd64.s
// (8 x 3, 24 FMAs of 16 lanes for eleven loads: no faster than the AVX2
// kernel on Zen 4, whose 512-bit FMAs take both 256-bit units, and meant
// for processors with 512-bit units) and, for L2, l2tile512_amd64.s (8 x
// 3, each squared distance from the differences: it needs the 32
// registers, and makes a batch L2 scan about 1.6 times faster than
// scoring pair by pair); without AVX-512 an L2 scan converts blocks of
// rows (16 KB) and scores each pair with the direct kernels' float32
// versions. Every tile kernel
// sums each pair in the very order of the direct kernels, so a query's
// results do not depend on the other queries of its batch (the store's
// Search and SearchBatch agree bit for bit); this is why they vectorize
// along the vectors (a dot product per register, summed across lanes at
// the end) rather than reuse the gemm's micro-kernel, whose sums run in
// another order. No [m, n] score matrix exists. The row norms of a cosine
// scan are summed in float32 (32 partial sums), which costs less than
// reading the row. The rows are cut into chunks of whole tiles that the
// workers take one at a time, each keeping a selection per query.
//
// Where the processor has AMX tiles with bfloat16 products (Sapphire
// Rapids and later Xeons; internal/cpufeat detects them and asks Linux
// for their state), a dot, cosine or L2 scan of 16 queries or more (and a
// k small next to its rows) is screened first (amx.go, amx_amd64.s): rows
// and queries are split into high and low bfloat16 parts, the tile unit
// scores 32 rows x 16 queries at a time from three products (hi·hi,
// hi·lo, lo·hi: about 16 bits of each operand), and a fused compare keeps,
// per query, only the rows whose approximate score, plus a proven bound on
// its error, could still reach the k-th best so far. Those few (about k
// per query on random data) are scored again by the same row kernel as
// every other path, so the results stay exact and batch-invariant, bit
// for bit. On the 2-core development machine (whose two vCPUs share one
// tile unit) 1024 queries over 10,000 rows ran 1.8 times the AVX-512 tile
// scan's speed for cosine and 2.3 times for L2 (BenchmarkScanBatch1024),
// and the tile kernel alone about 620-650 GFLOP/s counted as float32
// products (BenchmarkAMXDots).
//
// Where there is no tile unit but AVX-512 BF16 (Zen 4 and later, Cooper
// Lake), the same screen runs on VDPBF16PS (dpbf16_amd64.s, written by
// internal/tools/bf16gen): one product of the high parts only, twice the
// float32 kernels' products a cycle, with a bound of about 2^-8 of
// |q|·|x| (dpErr) instead of 2^-16, so a few more rows a query pass to
// the exact scoring. On a 2-core AMD EPYC with AVX-512 BF16, 1024 queries
// over 10,000 float32 rows through store.SearchBatch took 69.6 ms against
// 128 on the float32 kernels (FAISS 88.6).
//
// The screen's rows in bfloat16 are kept between scans of the same rows
// (screencache.go), so that a store's searches do not convert every row
// each time: keyed by the rows' buffer and its generation (a write
// converts them again), dropped when the rows are freed, at most 64 MiB
// in all (counted in MemoryInUse; larger rows are converted by each
// scan). 64 queries over 10,000 x 768 float32 rows ran about 15% faster
// with them.
//
// The matrix product follows BLIS: operands read in place through strides
// (float16, bfloat16 and int8 ones converted as they are packed, with no
// float32 copy of the whole operand), packed into panels that fit the
// caches (B eight rows at a time into every sliver; A a block of rows per
// task), multiplied by a 6 x 16 register block of C (AVX2 and FMA), 8 x 8
// (NEON) or one dot product at a time (portable Go); the blocks of rows
// are taken one at a time by whichever worker is free, so that a core
// another program slows down holds the others back less. A fused
// epilogue (OpMatMulEpilogue: a bias, GELU, a residual) runs over each
// task's block of the product as soon as the block is complete, while it
// is in the worker's L2 cache, instead of as a pass over the whole
// product; exp and erf run eight float64 lanes at a time with AVX-512.
//
// The inner loops have a portable Go version (dot.go, gemm.go and the
// op files), amd64 assembly (the *_amd64.s files) used when CPUID reports
// AVX2 and FMA (and F16C for float16), and arm64 NEON assembly (the
// *_arm64.s files: the float32, float16 and bfloat16 row kernels and the
// gemm; NEON is part of every arm64). Package internal/cpufeat detects
// the features. Setting SILICA_CPU_SIMD=off before the program starts
// keeps the portable code, to measure it or to rule out the assembly.
// Other architectures use the portable code. The tests check each kernel
// set against float64 references and against the other on every run; on
// linux/amd64 they also run the arm64 build under qemu-user when it is
// installed (TestArm64Emulated).
//
// Import the package for its side effect to register the "cpu" driver:
//
//	import _ "github.com/silica-go/silica/cpu"
package cpu
