package kernels

import (
	"fmt"
	"sort"
	"sync"

	"github.com/silica-go/silica/engine"
)

// Kernel is one row of the manifest: a kernel function of the MSL library
// and everything a backend needs to build its pipeline and bind it.
type Kernel struct {
	// Name is the MSL function name, "<family>_<variant>_<dtype>[_<param>]",
	// built by Name. It is unique in the library.
	Name string
	// Family is the op family, the source file kernels/metal/<Family>.metal
	// ("normalize", "reduce", "elementwise", "matmul", "topk",
	// "cosine_topk", "gather", "convert"). Generated kernels (fused
	// element-wise chains) carry their own Source instead.
	Family string
	// Source is the complete MSL of a generated kernel (header inlined),
	// empty for library kernels, whose source is FamilySource(Family).
	Source string
	// Ops lists the engine ops this kernel implements, alone or as one
	// dispatch of several (see Lower).
	Ops []engine.Op
	// Threads is the number of threads per threadgroup, a multiple of 32
	// (one-dimensional threadgroups: [Threads, 1, 1]). The pipeline's
	// maxTotalThreadsPerThreadgroup must be at least Threads; every kernel
	// here uses at most 1024.
	Threads int
	// Buffers lists the kernel's [[buffer(i)]] parameters in index order:
	// Buffers[i].Index == i.
	Buffers []Binding
	// ThreadgroupMemory[i] is the byte length to set at [[threadgroup(i)]]
	// (setThreadgroupMemoryLength:atIndex:), a multiple of 16.
	ThreadgroupMemory []int
}

// Role says what a buffer binding holds.
type Role uint8

const (
	// Input: a step input, Arg.Operand indexes Step.In. Never written.
	Input Role = iota + 1
	// Output: a step output, Arg.Operand indexes Step.Out.
	Output
	// Params: a small constant struct of 4-byte fields, Arg.Bytes, bound
	// with setBytes. Its layout is documented on the Go type that packs it
	// (the *Params types of this package) and mirrored in silica.h.
	Params
	// Scratch: a temporary buffer of the step, Arg.Operand indexes
	// Launch.Scratch. Its contents need no initialisation unless the
	// Launch says so (Launch.Zero).
	Scratch
)

func (r Role) String() string {
	switch r {
	case Input:
		return "input"
	case Output:
		return "output"
	case Params:
		return "params"
	case Scratch:
		return "scratch"
	}
	return fmt.Sprintf("role(%d)", r)
}

// Binding describes one [[buffer(Index)]] parameter of a kernel.
type Binding struct {
	Index int    // the buffer index, [[buffer(Index)]]
	Name  string // the parameter's name in the MSL source, for messages
	Role  Role   // what the backend binds there
	Write bool   // the kernel writes through it
}

// Dispatch is one kernel launch: dispatchThreadgroups(Groups,
// [Kernel.Threads, 1, 1]) with Args bound.
type Dispatch struct {
	Kernel *Kernel
	// Groups is the number of threadgroups along x, y and z (each >= 1).
	Groups [3]int
	// Args holds one entry per Kernel.Buffers entry, in the same order.
	Args []Arg
}

// Arg is what a dispatch binds at one buffer index.
type Arg struct {
	Role Role
	// Operand: for Input and Output the index into Step.In or Step.Out;
	// for Scratch the index into Launch.Scratch.
	Operand int
	// Offset is a byte offset into the bound buffer (setBuffer:offset:).
	Offset int
	// Bytes is the params struct for Role Params (setBytes:length:).
	Bytes []byte
}

// Launch is how one engine step runs on the Metal kernels: scratch
// buffers, then dispatches in order, each seeing the writes of the ones
// before it (a memory barrier, or one encoder with serial dispatch).
type Launch struct {
	// Scratch[i] is the byte size of scratch buffer i (private to the
	// step; freed or pooled after it).
	Scratch []int
	// Zero lists the scratch buffers that must be zero-filled before the
	// first dispatch (fillBuffer:range:value: 0).
	Zero []int
	// Status is the index of a scratch buffer of StatusBytes bytes that
	// kernels use to report bad input (a gather index out of range), or -1.
	// It is listed in Zero; after the run, pass its bytes to CheckStatus.
	Status int
	// Dispatches run in order.
	Dispatches []Dispatch
}

// StatusBytes is the size of a status scratch buffer: four uint32 words,
// [0] nonzero if an error was found, [1] the position of the bad element,
// [2] and [3] the low and high words of its value.
const StatusBytes = 16

// CheckStatus interprets a status buffer after the step ran: nil if the
// kernels found nothing wrong, else an error wrapping
// engine.ErrIndexOutOfRange that names the bad index and its position.
func CheckStatus(status []byte) error {
	if len(status) < StatusBytes {
		return fmt.Errorf("kernels: status buffer of %d bytes, want %d", len(status), StatusBytes)
	}
	w := func(i int) uint32 {
		return uint32(status[4*i]) | uint32(status[4*i+1])<<8 | uint32(status[4*i+2])<<16 | uint32(status[4*i+3])<<24
	}
	if w(0) == 0 {
		return nil
	}
	v := int64(uint64(w(3))<<32 | uint64(w(2)))
	return fmt.Errorf("%w: index %d at position %d", engine.ErrIndexOutOfRange, v, w(1))
}

var (
	registryMu sync.Mutex
	registry   = map[string]*Kernel{}
)

// register adds library kernels (called from the family files' init).
func register(ks ...*Kernel) {
	registryMu.Lock()
	defer registryMu.Unlock()
	for _, k := range ks {
		if _, dup := registry[k.Name]; dup {
			panic("kernels: duplicate kernel " + k.Name)
		}
		for i, b := range k.Buffers {
			if b.Index != i {
				panic(fmt.Sprintf("kernels: %s: binding %d has index %d", k.Name, i, b.Index))
			}
		}
		registry[k.Name] = k
	}
}

// Lookup returns the library kernel of that name, or nil.
func Lookup(name string) *Kernel {
	registryMu.Lock()
	defer registryMu.Unlock()
	return registry[name]
}

// All returns every library kernel (generated ones excluded), sorted by
// name: the set a backend may precompile and that the tests compile.
func All() []*Kernel {
	registryMu.Lock()
	defer registryMu.Unlock()
	ks := make([]*Kernel, 0, len(registry))
	for _, k := range registry {
		ks = append(ks, k)
	}
	sort.Slice(ks, func(i, j int) bool { return ks[i].Name < ks[j].Name })
	return ks
}

// mustKernel returns a registered kernel; a missing one is a bug of this
// package (Lower asks only for names it registers).
func mustKernel(name string) (*Kernel, error) {
	if k := Lookup(name); k != nil {
		return k, nil
	}
	return nil, fmt.Errorf("kernels: no kernel %s in the library", name)
}
