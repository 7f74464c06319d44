// Package engine is Silica's lazy array engine: arrays, the ops that build
// a graph of them, the scheduler that turns a graph into a fused plan, and
// the Backend interface that runs plans on a device.
//
// # Arrays and ops
//
// An Array is a lazy handle: a shape, a dtype and the node that produces
// it. Ops (Add, MatMul, Cosine, TopK, Gather, ...) check shapes and dtypes
// when they are called and return an error naming them; nothing runs until
// Engine.Eval or a read (Array.Float32, Array.Int64, Array.Bytes).
// Arrays have at most MaxRank dimensions and at least one element.
// Every op has a row in the op table (Op.Info: family, arity, shape rule,
// the fusion passes that may take it), which the predicates, the
// scheduler and the compat shims' generated header read.
//
//	e, _ := engine.Open("cpu")
//	q, _ := e.FromFloat32(query, 1, 768)
//	x, _ := e.FromFloat32(corpus, n, 768)
//	s, _ := engine.Cosine(q, x)
//	vals, idx, _ := engine.TopK(s, 10, true)
//	err := e.Eval(vals, idx) // one fused scan on backends that have it
//
// # Evaluation
//
// Eval collects the graph under its arguments, in topological order, and
// looks its signature (ops, attributes, shapes, dtypes, wiring) up in the
// engine's plan cache. On a miss the scheduler runs the fusion passes
// (fuse.go: 1 scores->topk into one scan that never writes the score
// matrix, 2 normalize->matmul into a fused cosine, 3 element-wise chains
// into one kernel, 4 a matmul into the element-wise step that reads its
// product, an epilogue applied as the product is written: bias, GELU,
// residual), each only where the backend's Capabilities accepts the
// fused step, then assigns buffer slots by liveness so that intermediates
// reuse memory. The plan goes to the backend in one Run: one submission
// (one per stretch of backend steps when a custom kernel runs on the
// host, below).
// Engine.Explain returns the plan without running it; Engine.Stats counts
// plans built and reused. Engine.Warm plans arrays the same way and, on a
// backend that compiles kernels on first use (Warmer: CUDA), has it
// compile the plan's kernels without running them, so that a program can
// pay for compilation before its first real evaluation.
//
// A caller that reads results right after computing them calls
// Engine.EvalRead, naming the arrays it reads: a backend whose memory is
// not the host's (ReadAhead: CUDA) then copies them to host memory in the
// same submission, after its last kernel, and the reads wait on nothing.
// View shows arrays' elements in host memory without a copy where the
// backend can (HostViewer: the CPU's own buffers, CUDA's copies read
// ahead), for a caller that reads them once (the store builds its hits
// from views). The other way, FromFloat32Rows takes rows held in separate
// slices, which a backend that can (RowsWriter: CUDA's pinned staging
// buffers, the CPU's own memory) copies in without joining them first.
//
// # Numbers
//
// Float16 and BFloat16 are storage types: arithmetic accumulates in
// float32. Reductions, products and top-k values are Float32; top-k
// indices are Int64. NaN: element-wise ops propagate it; ReduceMax and
// Maximum/Minimum return NaN when an operand is NaN; TopK ranks NaN after
// every number whichever the order, so it is never returned ahead of a
// number; ties in TopK go to the smaller index.
//
// # Backends
//
// Backends register a Driver by name in their init function (the
// database/sql pattern); Open("cuda"), Open("torch:mps") and Default()
// (SILICA_BACKEND, else metal, cuda, cpu) open them. A backend implements
// the small Backend interface; fused kernels and other abilities are
// optional interfaces (Capabilities, HostWrapper, HostViewer,
// MemoryReporter, ReadAhead, RowsWriter, Timer, Warmer). A step
// a backend cannot run is an error (ErrUnsupported), never a silent fall
// back to another device. The one exception is a custom kernel
// (NewKernel) whose source the backend lacks or does not accept: the
// engine runs its Go function on the host between the backend's steps,
// and says so in the plan (Step.Host, Explain).
package engine
