// Command embench measures Silica's engine backends and their peers on the
// same work, in one run, and prints the table people quote.
//
//	go run ./cmd/embench                      # every backend and peer here, two to three minutes on 2 cores
//	go run ./cmd/embench --docs 1000000       # a million-row store
//	go run ./cmd/embench --quick --json r.json # every scenario, small, in about half a minute (CI)
//	go run ./cmd/embench --list               # what can run here, and why the rest cannot
//
// # Who is measured
//
// Every engine backend registered by package backends and able to open on
// this machine: Silica's own (cpu, cuda, metal) and the adapters over real
// libraries (torch:cpu, torch:cuda, torch:mps, mlx), all driven by the same
// engine code, so that an adapter is a peer measured by the same harness.
// A new backend needs no change here: embench asks engine.Drivers for the
// registered drivers and opens each one's default device and the devices
// "cpu", "cuda", "mps" and "gpu" (one row per distinct device). --backend
// picks some by name ("cpu,torch:cpu"); --backend none runs none.
//
// Beside them, the Python peers, each doing what its users write: NumPy
// (the CPU baseline: rows normalized once when added; a search normalizes
// the queries, q @ x.T, argpartition and a sort of the k), FAISS
// (IndexFlatIP over normalize_L2'd rows for cosine and dot, IndexFlatL2
// for l2, and IndexScalarQuantizer with QT_fp16 for float16 storage: the
// exact-search library a user would otherwise pick) and torch, plain
// PyTorch (the rows a tensor on the device, moved there, normalized and
// converted to the storage dtype when added; a search moves the queries to
// the device, normalizes them, q @ x.T, torch.topk, .cpu() of the results,
// the device synchronized). The torch peer runs on --torch-device (cuda
// where PyTorch sees a GPU, else cpu) and only the store; it is not the
// torch:cpu or torch:cuda engine adapter, whose store rows are Silica's
// store on libtorch and are marked so. embench starts peers.py (embedded)
// with the python named by SILICA_PYTHON, else python3 from PATH, one
// process per peer, and hands it the same inputs as .npy files. NumPy does
// not run the float16 store (NumPy has no BLAS for half precision); FAISS
// runs only the store; sentence-transformers and onnxruntime only the
// encode scenarios (see Scenarios). --peers picks them; --peers none runs
// none. The
// libraries keep their own thread settings (all cores); OMP_NUM_THREADS and
// OPENBLAS_NUM_THREADS in the environment reach them.
//
// # Scenarios
//
// The array operations, float32 (sizes with --quick in brackets):
//
//	matmul          A·B, 1024x1024 by 1024x1024 [128]
//	cosine          Cosine(q, X): one query against 10000x768 [1000], both normalized in the graph
//	cosine_prenorm  the same with X normalized once beforehand: Normalize(q)·Xᵀ
//	normalize       L2 normalization of the rows of 100000x384 [2000]
//	fma             a*b+c over 10M elements [100K] (the engine fuses the two ops)
//	gather          10000 rows [500] of 100000x384 [5000] at random indices
//	slice           a contiguous tenth of the rows of 100000x384 [5000], copied
//
// The store: --docs rows (default 10000, 5000 with --quick) of --dim 768,
// stored as each of --dtypes (float32, float16), searched for the top --k
// 100 by --metric (cosine):
//
//	store_add            store.New and Append every row (conversion to the storage dtype; normalizing under cosine)
//	store_search_1       Search: one query (cycling through 8), hits back on the host
//	store_search_B       SearchBatch of B queries, for each B of --batches (64, 1024)
//	store_search_B_kK    SearchBatch of B queries for the top K, for each B of --large-k-batches (8) and each K of --large-k (1000, 4096) up to --docs
//
// With --batches, --k, --large-k and --large-k-batches one run measures a
// grid of batch sizes by k over the same rows, added once: --batches
// 1,64,1024 --k 10 --large-k 100,1000,4096 --large-k-batches 1,64,1024
// (the search at --k keeps its short name, store_search_B).
//
// --devices and --shards (comma-separated counts, default 1 each) run the
// search cases again for every other layout of the store: over the first
// n devices of each backend (store.Options.Devices; 1 is the measured
// engine's own device) with s shards on each (store.Options.Shards), the
// table's devices × shards column. Beside them the torch peer shards by
// hand: the rows cut into devices × shards runs, run j on GPU j %
// devices, each searched and the candidates merged on the host; numpy
// and faiss run the plain store's cases only, and the layouts other than
// 1 × 1 have no kernel-only time. A backend with fewer devices than asked
// fails those rows with a one-line error.
//
// The encoder: --texts fortunes (1000, 200 with --quick; the Debian
// fortunes packages read by internal/textcorpus, picked by --seed), or
// with --text-kind lines as many short documents (the fortunes' distinct
// lines, about 125,000, then distinct pairs of them: the seed's scenario
// of a million documents), encoded
// by the sentence-transformers model of --model (default
// $SILICA_MODEL_DIR, else all-MiniLM-L6-v2 from the Hugging Face cache;
// package encode), at each of --dtypes:
//
//	encode        Encoder.Encode of every text, tokenizing included: documents/s and tokens/s
//	encode_store  the seed's pipeline: store.New with the encoder, AddTexts of every text, then
//	              --text-queries (64, 16 with --quick) other fortunes, each SearchText for the
//	              top --k: total time, documents/s of encoding and adding, ms of one query
//	              (p50, p99), the largest growth of the process's peak resident memory
//
// Silica's encoder batches by --batch-tokens (sorted by length, packed,
// no padding). Its peers: sentence-transformers on torch (--torch-device;
// model.encode with batch_size 32, fp16 through .half() on a GPU) and
// ONNX Runtime on the CPU (the model's transformer exported once with
// torch.onnx.export into the user cache directory, tokenizers, batches of
// 32 sorted by length and padded, mean pooling and normalizing in NumPy),
// each keeping the pipeline's embeddings as a tensor or array and
// searching with q @ x.T and a top k (encode_peers.py). Every embedding
// is checked against sentence-transformers in float32 on the CPU (cosine
// at least 0.9999, 0.9995 in float16) and the pipeline's hits against the
// exact top k over the vectors it stored, before anything is timed (past
// 2,000 texts, the embeddings of 2,000 texts picked by --seed). An
// adapter backend runs the encoder only when --backend names it (its many
// small steps cost a shim call each: 1 to 4 documents/s measured); float16
// runs on GPUs only. --scenario encoder runs both. Without the model,
// the corpus or sentence-transformers, the scenarios are listed as not
// measured.
//
// A search case is timed end to end on every backend and peer (for the
// engine backends: the store's call, queries from the host, hits back on
// the host) and, on Silica's own backends (cpu, cuda, metal), also kernel
// only: the engine's scan of the same search, TopK(MatMul(Normalize(q),
// xᵀ)) (MatMul under dot, L2Distance under l2) for k+1 results, as the
// store asks its scan (one more than k, to see ties at the k-th place),
// fused into one scan_topk step, over the same rows already on the device
// and the queries uploaded beforehand (float16 for float16 rows, else
// float32), each repetition an Eval and a Synchronize with nothing read
// back. The kernel-only answer is verified like the row's own before it is
// timed, and the table shows the two times side by side; a wrong
// kernel-only answer makes the row wrong.
//
// The store cases run through package store (store.New with the
// backend's engine, Append, Search, SearchBatch), as a user of the store
// would; ids are the row numbers, so results are checked as for a plain
// scan. Each store row also records the memory the stored rows take: their
// own size, the growth of the process's resident memory (after a garbage
// collection; a C allocator that reuses freed memory can hide some of it)
// and, where the backend counts it, of its device memory, pooled buffers
// included. The store's cases run on a freshly opened engine of each
// backend (and the reference on a fresh CPU engine per group), so that
// buffers pooled by earlier cases neither hide that growth nor pile up.
//
// # Method
//
// Inputs are random normal float32 (never zeros) from --seed, the same for
// every backend and peer. Each case is first run once and its answer
// checked against the CPU backend, whose own answer is checked against
// float64 arithmetic on the inputs (every element, or sampled rows for
// matmul, two queries of a full exact scan for the store). Tolerances are
// named constants in check.go: wide enough for float32 sums in another
// order, TF32 tensor cores and half-precision storage, far too narrow for
// a wrong answer; top-k results are accepted as FAISS's tests accept them
// (tied rows in either order; each returned score must be its row's exact
// score, and the k-th best must match the reference's). A case whose answer
// is wrong is reported as wrong and never timed.
//
// Then it is timed: warm-up runs (none when the verification run already
// took half of --time), then samples until there are at least 10 and
// --time (0.5s) has passed, or 4x --time has passed with at least 3
// samples, or there are 2000; the store's add takes 3 samples, and a case
// whose verification run took more than 4x the maximum time one. A sample
// is wall time around one repetition: build the lazy graph, Eval,
// Synchronize the device (and for the store's searches and the binary
// search read the results back to the host, as a user of a store must),
// free the outputs. The array-operation cases read nothing back: their results stay
// on the device. The Python peers run the same loop with
// time.perf_counter_ns. The table gives the median, the p99, the spread
// (half the interquartile range over the median) and the ratio of each
// median to the fastest of its case. The p99 is the 99th percentile by
// nearest rank, which is a percentile below the maximum only from 100
// samples on: a case with fewer shows its largest sample, marked "(max)".
//
// A custom kernel (engine.NewKernel, such as the binary scenario's) runs
// on the host in Go on a backend that has no source for it (the torch and
// mlx adapters): such a row times Silica's Go code, not the backend, and
// the table marks its backend "(host fallback)" and says so under the
// table; the JSON has host_fallback and a plan that says "on the host".
//
// # Output
//
// A markdown table on stdout: the machine, the backends and peers with
// their versions, what was not measured and why, then the array operations,
// the store's table and the store's memory. A progress line goes to stderr
// (--quiet: none). --json FILE writes the report below, --csv FILE one line
// per result (the result fields as columns, with the same meanings:
// p99_ms is max_ms below 100 reps), --plot FILE.svg a grouped bar
// chart of each backend's speed relative to the fastest (.png and .pdf
// work too). --cpuprofile FILE writes a Go CPU profile of the whole run
// (`go tool pprof FILE`): where the host's time goes around the kernels.
//
// # The JSON report (schema 1)
//
// Fields are added within a schema version, never removed or changed in
// meaning. Lists are empty, never null.
//
//	{
//	  "schema": 1,
//	  "machine": {"os", "arch", "cpu", "cores", "memory_bytes", "go",
//	              "silica" (from the binary's build information: the VCS revision,
//	                        "-dirty" if the tree was modified, else the module version,
//	                        else "devel (revision not recorded...)": go run stamps none),
//	              "time" (RFC 3339),
//	              "load" (1-minute load average at the start, -1 if unknown), "command"},
//	  "backends": [{"name" ("cpu", "torch:cpu"...), "backend", "device", "device_name",
//	                "version", "memory_bytes", "unified"}],
//	  "peers": [{"name" ("numpy", "faiss", "torch"), "version" (torch: "2.11.0 on cuda (NVIDIA H200)"), "python"}],
//	  "unavailable": [{"name", "reason"}],
//	  "config": {"quick", "docs", "dim", "k", "metric", "batches", "seed",
//	             "large_k" (the large k that ran), "large_k_batches" (their query counts), "large_k_left_out" (those above docs),
//	             "torch_device" (the torch peer's, where it ran),
//	             "texts", "text_queries", "model", "batch_tokens" (0: the encoder's default), "peer_batch" (the encode scenarios'),
//	             "min_time_ms", "min_reps", "max_reps", "warmup"},
//	  "results": [{
//	      "scenario": "store_search_64",   // a name from the lists above
//	      "backend": "cpu",                // a backend's or peer's name
//	      "dtype": "float32",              // storage dtype
//	      "size": "10000x768",             // the case's size, as the table prints it
//	      "median_ms": 12.3,               // null when not timed
//	      "p99_ms": 14.0,                  // nearest rank; below 100 reps this is max_ms; null when not timed
//	      "ratio_to_best": 1.0,            // median over the case's fastest median; null when not timed
//	      "verified": true,                // the answer passed the check
//	      "runner": "engine",              // "engine" or "python"
//	      "status": "ok",                  // "ok", "wrong" (failed the check) or "error" (did not run)
//	      "error": "...",                  // why, when status is not ok
//	      "reps": 40, "min_ms", "max_ms", "iqr_ms",
//	      "queries_per_s": 5203.1,         // search cases
//	      "stored_bytes",                  // store cases: N·dim·dtype size of the rows
//	      "resident_bytes", "device_bytes", // store cases, where known: growth while the rows were added
//	      "plan": "scan_topk(dot normA k=100 largest=true)", // the engine's steps
//	      "host_fallback": true,           // a custom kernel ran in Go on the host (omitted when false)
//	      "recall_at_10": 0.26,            // binary_search_1: against the exact float32 top 10
//	      "min_cosine": 0.9999998,         // encode scenarios: the lowest cosine of a text's embedding with the reference's
//	      "kernel_median_ms", "kernel_p99_ms", "kernel_reps", "kernel_plan"
//	                                       // store searches on cpu, cuda, metal: the kernel-only time (see Scenarios)
//	      "devices", "shards",             // a search's store layout (--devices, --shards); omitted for 1 × 1
//	      "docs_per_s", "tokens_per_s",    // encode: over the median run; encode_store: docs/s of its encoding and adding
//	      "add_ms", "search_ms", "search_p99_ms", "peak_bytes"
//	                                       // encode_store: median ms of the store made and the texts encoded and added,
//	                                       // ms of one query (encoding it and searching), peak resident growth
//	  }],
//	  "skipped": [{"scenario", "backend", "dtype", "reason"}]  // not run by design
//	}
//
// # Exit status
//
// 0 when every case was verified and timed; 3 when the run finished but a
// case was wrong or failed (the table says which); 2 for bad flags; 1 when
// the run could not be made.
package main
