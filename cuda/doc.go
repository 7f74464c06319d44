// Package cuda is Silica's NVIDIA backend: the engine's ops as handwritten
// CUDA C kernels (kernels/cuda), compiled at run time by NVRTC for the
// device's architecture, launched through the CUDA driver API. Both
// libraries are loaded with purego, so the package builds with
// CGO_ENABLED=0 and the binary runs on any Linux machine with the NVIDIA
// driver; it registers as engine backend "cuda" ("cuda:1" for the second
// GPU).
//
// # Availability
//
// New (and engine.Open("cuda")) fails with an error wrapping
// engine.ErrUnavailable, saying what is missing, when libcuda.so.1 (the
// driver), a GPU, or libnvrtc is absent; engine.Default then moves on to
// the CPU. SILICA_LIBCUDA and SILICA_NVRTC name the libraries' paths when
// the loader cannot find them; NVRTC is also looked for in the CUDA
// toolkit's folders and in the pip wheel nvidia-cuda-nvrtc of the Python
// environments at hand.
//
// # Threads
//
// A CUDA context is current per OS thread, and Go moves goroutines between
// threads: every driver call runs under the device's lock on the calling
// goroutine, locked to its thread for the call, with the device's primary
// context made current there (no hand-off to another thread: on the lent
// H200 one cost about 0.04 ms). Free, which the engine may call from any
// goroutine, only returns the buffer to the pool.
//
// # Kernels
//
// A kernel file is specialised by -D flags (element types, vector widths,
// query-group sizes) and compiled on first use; compiled modules are kept
// in memory and on disk, keyed by the hash of source and NVRTC options
// (the architecture among them), the kind of code (cubin or PTX), and the
// NVRTC and driver versions. The disk cache is silica/cuda in the user's
// cache folder (os.UserCacheDir), or cuda under SILICA_CACHE_DIR when it
// is set, or SILICA_CUDA_CACHE itself ("off" in either: no disk cache);
// the folder is read when the backend opens. Each entry carries a
// SHA-256 of its module and is written to a temporary file, synced and
// renamed, so a reader sees a whole entry or none; an entry that is
// short, damaged or refused by the driver is compiled again and replaced,
// never an error. A kernel that does not compile fails with a
// CompileError naming it and carrying NVRTC's log. Every CUresult
// becomes an *Error naming the call and the result.
//
// # First use
//
// Compiling a kernel takes NVRTC 0.2 to 2 seconds, once per machine (the
// disk cache keeps it); loading a cached one takes milliseconds. The
// backend implements engine.Warmer: Engine.Warm(arrays...) plans the
// arrays as Eval would and Warm compiles and loads every kernel the plan's
// steps would launch, chosen for its shapes exactly as Run chooses them
// (a dry run of the steps: nothing is allocated or launched), so that a
// program (the store, when it opens) pays for compilation before its
// first search rather than during it.
//
// The build also ships compiled kernels (kernels/cuda/shipped, embedded):
// cubins of every kernel that the stores of cmd/kernelpack's shapes
// launch (every dtype and metric; rows of 384, 768, 1024, 1536 and 3072
// values, 2,000 and 200,000 of them; one query to batches of 1024; k up to
// 4096, filtered or not; adds, deletes, upserts, saves and opens), for a
// GPU of each architecture from sm_75 to sm_120 (T4, A100, A10, L4,
// H100 and H200, B200, RTX 5090), listed without a GPU by kernel listers
// (NewLister) that choose as the backend does on such a device. A device
// of one of those architectures loads them instead of compiling them
// (NVRTC must still be at hand), ahead of the disk cache; what they do not cover (other shapes, such as batches of 2
// to 15 queries over more than about 2M rows, kernels of programs of
// one's own, or a driver that refuses them) is compiled as above. They
// have not yet run on a GPU: the lent one was not to be had when they
// were made (bench/cuda/NOTES.md, run 36, says how to check them).
// SILICA_CUDA_SHIPPED=off ignores them; set to a folder that holds a
// kernelpack manifest.json and kernels.pack, it uses those instead. A
// shipped kernel is found by the hash of its source and NVRTC options, so
// one whose source changed is compiled, never run stale; the cuda
// package's TestShippedPack fails until `go run ./cmd/kernelpack build`
// has rebuilt the pack.
//
// Variants are named <family>_<variant>_<dtype>[_<param>...] by
// kernels.Name, the builder the Metal backend names its kernels with.
// Each kernel has a parameter struct whose fields are its parameters in
// order (castArgs for cast; manifest.go); launch packs it, and a test
// checks every struct against the kernel's signature in its .cu file.
// The compile test builds defaultVariants, the list made by the
// constructors the launch sites call. Each op-family file registers both
// (registerFamily, in its init), so a new kernel is declared in the file
// that launches it.
//
// # The fused search
//
// engine.OpScanTopK runs in one of three regimes (scan.go):
//
//   - one to 15 queries: their scores written to scratch for a
//     multi-block select (scoreSelect, below) when the scratch holds
//     them; else (or with Config.SelectK set) a streaming scan, a warp a
//     stored row, 16-byte loads, a group of up to 8 queries scored
//     against each row while it is in registers, candidates kept per
//     warp in buffers sorted in shared memory, then a merge;
//   - many queries (16 and more, dot products, row bytes a multiple of
//     16): tensor cores over 64- or 128-query x 128- or 256-row block
//     tiles streamed into shared memory with cp.async: wgmma from
//     swizzled tiles on Hopper (sm_90a, version 5, scan_wgmma_v5.cu),
//     mma.sync with ldmatrix elsewhere from Ampere on (version 4,
//     scan_mma_v4.cu; in a smaller tiling where a block's shared memory
//     is less than Hopper's, fitV4; before Ampere, sm_75, the row
//     kernels take these searches too), over one selection (scan_tc.cuh). Each score is compared in registers
//     with its query's current threshold and the few that pass are
//     appended to the query's candidates, cut back by a radix select, so
//     that the score matrix is never written. A Config picks the version
//     and overrides the tiling; Open reads it once from the environment:
//     SILICA_CUDA_SCAN=v4 or v5, and
//     SILICA_CUDA_V4="bm=128,bn=256,bkb=128,stages=3". Float16 and bfloat16 products are exact and accumulated in
//     float32. Float32 rows are multiplied in TF32; each query keeps
//     max(2k, k+64) candidates, which are scored again exactly in float32
//     (those whose TF32 score is more than twice the bound behind the
//     k-th's cannot rank and are not read), and a bound on the TF32 error
//     proves that no other row can enter the best k. A query whose proof fails (rows closer than TF32 resolves) is
//     searched again by the exact scan, so results always equal the exact
//     float32 top-k (up to ties).
//
// A search whose k is larger than the fused scans keep in their buffers
// (128 for the row scans, 1024 for the tensor-core scan; Config.SelectK
// moves the first) scores and selects instead (scoreSelect): the scores
// of a chunk of queries against every row go to scratch ([g, n] float32,
// with the select's buffers at most 64 MiB, g a multiple of 8 or all the
// queries), written by the row scan's kernel in its scoring mode (the
// same arithmetic, so the same results) or, for dot products of 16-bit
// rows, on tensor cores (matmul_skinny.cu for up to 64 queries,
// matmul_mma.cu past that), then a multi-block radix select
// (topk.cu: radix_pass, many blocks a row and a histogram of radixBits-bit
// digits a pass, until the keys at or before the k-th's digits fit
// k + max(2048, k) candidates; radix_collect; rank_select orders a few
// rows' candidates on many blocks, topk_select more rows'). Supports
// accepts the fused scan for any k, so the engine never allocates the
// [m, n] score matrix whole. Sixteen queries or more under the dot
// product (float32 or 16-bit rows) go through candSelect instead, so that
// the rows are read once for each chunk of queries, not once for each
// group whose full scores fit: a part of the rows at a time, its scores
// written by a GEMM (matmul_mma.cu or matmul_skinny.cu, or matmul.cu's
// tiled product on the CUDA cores for float32), then topk.cu's
// cand_filter appends each score that beats its query's threshold to the
// query's candidate buffer and cand_compact cuts a full buffer to its
// best k, whose worst becomes the threshold; topk_select orders the best
// k at the end.
//
// Before all of these, a search of sixteen queries or more on the tensor
// cores, masked or not, whose kc candidates a query (k; max(2k, k+64)
// for TF32) are 128 or more and whose rows are at least about 8 kc, is
// seeded (seed.go): the tensor-core scan over a sample of the rows
// (every kc/32-th row, read in place) gives each query the 64th best
// score of the sample; the scan of every row then starts every block
// at that threshold, keeps it, and appends the keys that pass to the
// query's list (4 kc keys), and topk.cu's seed_final takes the best kc
// of each list. A list of at least kc keys that lost none holds the best
// kc whatever the sample was; the queries whose lists do not are
// searched again without a seed (the host reads a flag a query), so the
// results are the unseeded search's (a masked seeded scan lists only
// passing rows, so a query with fewer than kc of them is searched
// again). The seed replaces the blocks' own
// thresholds (each the kc-th best of its part of the rows) and lifts the
// tensor-core scan's limit of k: over 1M x 768 on an H100, 1024 float16
// queries at k = 4096 took 6.6 ms of kernels seeded against 25.7
// through candSelect (bench/cuda/NOTES.md, run 24). Config.NoSeed turns
// it off. OpTopK over few long rows (at least 16384
// long, fewer than twice the SMs) runs the same multi-block select; other
// rows one block a row.
//
// # Memory
//
// Device allocations are pooled by size class (at most 12.5% rounding);
// MemoryInUse reports the bytes held from the driver, pooled ones
// included. An allocation that fails empties the pool and tries once more;
// then it is an error naming the device's free memory.
//
// # Measuring
//
// The backend implements engine.Timer: device time of runs and of each
// kernel, from CUDA events. cmd/cudabench times the PyTorch anchors'
// operations with it; bench/cuda/NOTES.md holds the measurements, side by
// side with PyTorch on the same card.
package cuda
