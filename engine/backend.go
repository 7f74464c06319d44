package engine

import "errors"

// Buffer is a backend's allocation of device (or host) memory. Only the
// backend that made it looks inside.
type Buffer interface {
	// Size returns the buffer's length in bytes.
	Size() int
}

// DeviceInfo describes the device a backend runs on.
type DeviceInfo struct {
	Backend string // the registered name: "cpu", "cuda", "metal", "torch", "mlx"
	Device  string // the device within it: "cpu", "cuda:0", "mps", "gpu"...
	Name    string // the hardware's own name, e.g. "NVIDIA H100 80GB HBM3"
	// Memory is the device memory in bytes that the backend may use (for a
	// unified-memory GPU, the recommended working set), 0 if unknown.
	Memory int64
	// Unified reports whether host and device share memory (CPU, Apple).
	Unified bool
	// Version names the library versions behind the backend, for reports.
	Version string
}

// Backend runs plans on one device. The engine calls its methods from one
// goroutine at a time, except Free, which may come from any goroutine
// (a collected Array's cleanup).
//
// Extra abilities are optional interfaces, found by type assertion:
// Capabilities (which fused kernels the backend runs), OpSubset (which
// primitive ops a compat peer lacks), HostWrapper
// (zero-copy buffers over host memory), MemoryReporter (bytes in use),
// RowsWriter (writes of rows held in separate slices),
// Timer (device time of runs, for benchmarks), Warmer (compile a plan's
// kernels ahead of its first run).
type Backend interface {
	// Device describes the device.
	Device() DeviceInfo
	// Alloc returns a buffer of at least bytes bytes (bytes > 0) whose
	// contents are undefined (backends reuse freed buffers). Failure (out
	// of memory) is an error, never a crash.
	Alloc(bytes int) (Buffer, error)
	// Free releases a buffer; the backend may pool it.
	Free(b Buffer)
	// Write copies src into dst at byte offset off.
	Write(dst Buffer, off int, src []byte) error
	// Read copies len(dst) bytes of src from byte offset off into dst,
	// after all work submitted before it has finished.
	Read(src Buffer, off int, dst []byte) error
	// Run executes every step of p in order, as one submission (one Metal
	// command buffer, one CUDA stream), and returns when it has finished.
	// bufs[i] is the buffer of p.Values[i]. A step the backend has no
	// kernel for is an error naming the op (ErrUnsupported), never a silent
	// fall back to another device.
	Run(p *Plan, bufs []Buffer) error
	// Synchronize waits for all submitted work.
	Synchronize() error
	// Close releases the device; the backend is unusable afterwards.
	Close() error
}

// Capabilities is implemented by backends that run fused kernels or that
// restrict some ops. The scheduler asks before every fusion it would make,
// and before planning every step, so a backend can refuse (for example) a
// fused scan with k above its kernel's limit; a refused fusion is simply not
// made, a refused primitive step fails the Eval with ErrUnsupported.
type Capabilities interface {
	Supports(op Op, attrs *Attrs, in []Value) bool
}

// OpSubset is implemented by backends that run only some of the primitive
// ops: the compat peers (torchcompat, mlxcompat), whose shims list the ops
// they implement, so that a new op needs no shim. Implements reports
// whether the backend has op at all; a step of an op it lacks fails the
// Eval with ErrUnsupported, and the shared test suite (backendtest) skips
// that op's cases, saying so. Silica's own backends run every primitive
// op and do not implement OpSubset.
type OpSubset interface {
	Implements(op Op) bool
}

// HostWrapper is implemented by backends that can use host memory in place
// (the CPU, Apple's unified memory): the engine then wraps arrays made by
// Engine.FromBytesNoCopy instead of copying them. data must stay valid and
// unchanged while the buffer lives.
type HostWrapper interface {
	WrapHost(data []byte) (Buffer, error)
}

// Warmer is implemented by backends that compile kernels on first use
// (CUDA's NVRTC), so that a program can pay for compilation before its
// first real work: Engine.Warm hands it the plan Eval would run.
type Warmer interface {
	// Warm compiles and loads every kernel the steps of p would launch,
	// chosen as Run would choose them for the plan's shapes, without
	// running any or touching the plan's buffers. A kernel that does not
	// compile is an error naming it.
	Warm(p *Plan) error
}

// ReadAhead is implemented by backends whose buffers are not host memory
// (CUDA): Engine.EvalRead asks it to copy the results a caller reads next
// to the host within the run's own submission, so that the reads do not
// wait on the device again.
type ReadAhead interface {
	// RunRead is Run that also queues, after the run's last step, copies
	// of the buffers of values read (outputs of p) into host memory of
	// the backend's. A Read of one of them that follows, before any other
	// call that runs or writes on the device, is served from that copy.
	// The backend may copy only some of them (its host memory is
	// bounded); the others are read as usual.
	RunRead(p *Plan, bufs []Buffer, read []int) error
}

// MemoryReporter is implemented by backends that count their device memory.
type MemoryReporter interface {
	// MemoryInUse returns the bytes currently allocated on the device,
	// pooled buffers included.
	MemoryInUse() int64
}

// Timer is implemented by backends that time work on the device itself
// (CUDA events on the backend's stream), for benchmarks: the device time of
// a Run apart from the host's time to plan and launch it. cmd/cudabench
// finds it by type assertion.
type Timer interface {
	// EnableTiming makes every Run record its device time, which
	// LastRunMillis then reports: milliseconds from the Run's first launch
	// to the end of its last (launch gaps included, host work before the
	// first launch excluded).
	EnableTiming(on bool) error
	LastRunMillis() float64
	// EnableProfile makes every launch record its own device time (which
	// slows the Runs: profile apart from timing) and clears what was
	// recorded; Profile returns the milliseconds of each kernel, by the
	// backend's name for it, summed over the Runs since.
	EnableProfile(on bool) error
	Profile() map[string]float64
	// CopyBandwidth copies bytes bytes between two device buffers reps
	// times and returns the median rate in GB/s, bytes read plus bytes
	// written: the memory ceiling a kernel is measured against.
	CopyBandwidth(bytes, reps int) (float64, error)
}

// Errors a backend or the engine returns; test with errors.Is.
var (
	// ErrUnsupported: the backend has no kernel for a step.
	ErrUnsupported = errors.New("engine: operation not supported by this backend")
	// ErrIndexOutOfRange: a gather index was outside the gathered array.
	ErrIndexOutOfRange = errors.New("engine: gather index out of range")
	// ErrUnavailable: a backend's device or library is absent on this machine.
	ErrUnavailable = errors.New("engine: backend unavailable")
)
