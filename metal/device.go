package metal

import "github.com/silica-go/silica/engine"

// device is the part of a GPU the backend drives. On a Mac it is Metal
// through darwinkit (the *_darwin.go files); the tests also drive the
// backend over the kernels' CPU harness, so that everything above the
// native calls (kernel choice, bindings, grids, barriers, pooling, errors)
// is exercised on any machine.
type device interface {
	// info describes the device.
	info() engine.DeviceInfo
	// newBuffer allocates n > 0 bytes of memory shared by host and GPU.
	newBuffer(n int) (devBuffer, error)
	// wrap makes a buffer over host memory without copying it; data stays
	// owned by the caller and must outlive the buffer.
	wrap(data []byte) (devBuffer, error)
	// release frees a buffer made by newBuffer or wrap.
	release(b devBuffer)
	// library compiles MSL source; name says what it is in errors (a
	// kernel family, a fused program).
	library(name, source string) (library, error)
	// pipeline builds the compute pipeline of function fn of lib.
	pipeline(lib library, fn string) (pipeline, error)
	// run encodes the launches in order into one command buffer, commits
	// it and waits for it; a failed command buffer is an error.
	run(launches []launch) error
	// close releases the device.
	close() error
}

// devBuffer is memory shared by host and GPU.
type devBuffer interface {
	// bytes is the host view of the buffer's usable bytes.
	bytes() []byte
}

// library is a compiled MSL source.
type library interface{}

// pipeline is a compiled compute pipeline.
type pipeline interface {
	// maxThreads is the most threads a threadgroup of it may have.
	maxThreads() int
}

// launch is one kernel dispatch: a pipeline, what is bound at each buffer
// index, the grid and the threadgroup size.
type launch struct {
	name   string // the kernel, for errors
	pipe   pipeline
	binds  []bind
	groups [3]int // threadgroups per grid (dispatchThreadgroups)
	// total, when set, is the exact number of threads per grid
	// (dispatchThreads: the last threadgroups may be partial); groups is
	// then unused.
	total   [3]int
	threads [3]int // threads per threadgroup
	tgmem   []int  // threadgroup memory bytes by index (for kernels that size it at dispatch)
	// barrier asks for a memory barrier before the launch: it reads or
	// overwrites memory an earlier launch since the last barrier wrote or
	// read.
	barrier bool
	// firstWrites are the buffers of its step's outputs that this launch
	// is the first of the step to write. Metal ignores them; the tests'
	// harness device fills them with 0xFF before the launch runs, so that
	// an element the step leaves unwritten shows as NaN, not as what an
	// earlier step left in a reused slot.
	firstWrites []devBuffer
}

// bind is what one [[buffer(index)]] argument of a kernel receives:
// a buffer from an offset, or a few bytes copied at encoding time (a
// params struct, set with setBytes).
type bind struct {
	index int
	buf   devBuffer // nil for bytes
	off   int
	bytes []byte
	write bool // the kernel writes the buffer
}
