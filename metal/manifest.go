package metal

import (
	"encoding/binary"
	"fmt"
	"math"
	"sort"
	"sync"

	"github.com/silica-go/silica/engine"
)

// mslKernel is one row of the Metal manifest: a kernel function of the
// MSL library (kernels/metal/*.metal) and everything the backend needs to
// build its pipeline and bind it. The family files register the rows of
// their kernels; TestLibraryCompiles checks every row against the source.
type mslKernel struct {
	// Name is the MSL function name, "<family>_<variant>_<dtype>[_<param>]",
	// built by kernels.Name. It is unique in the library.
	Name string
	// Family is the op family, the source file kernels/metal/<Family>.metal
	// ("normalize", "reduce", "elementwise", "matmul", "topk",
	// "cosine_topk", "gather", "convert"). Generated kernels (fused
	// element-wise chains) carry their own Source instead.
	Family string
	// Source is the complete MSL of a generated kernel (header inlined),
	// empty for library kernels, whose source is kernels.FamilySource(Family).
	Source string
	// Ops lists the engine ops this kernel implements, alone or as one
	// dispatch of several.
	Ops []engine.Op
	// Threads is the number of threads per threadgroup, a multiple of 32
	// (one-dimensional threadgroups: [Threads, 1, 1]). The pipeline's
	// maxTotalThreadsPerThreadgroup must be at least Threads; every kernel
	// here uses at most 1024.
	Threads int
	// Buffers lists the kernel's [[buffer(i)]] parameters in index order:
	// Buffers[i].Index == i.
	Buffers []binding
	// ThreadgroupMemory[i] is the byte length to set at [[threadgroup(i)]]
	// (setThreadgroupMemoryLength:atIndex:), a multiple of 16.
	ThreadgroupMemory []int
}

// role says what a buffer binding holds.
type role uint8

const (
	// roleInput: a step input, kernelArg.Operand indexes Step.In. Never written.
	roleInput role = iota + 1
	// roleOutput: a step output, kernelArg.Operand indexes Step.Out.
	roleOutput
	// roleParams: a small constant struct of 4-byte fields, kernelArg.Bytes, bound
	// with setBytes. Its layout is documented on the Go type that packs it
	// (the *Params functions of this package) and mirrored by an MSL
	// struct: in silica.h when several families share it, else beside
	// its kernel in the family's .metal file.
	roleParams
	// roleScratch: a temporary buffer of the step, kernelArg.Operand indexes
	// stepLaunch.Scratch. Its contents need no initialisation unless the
	// stepLaunch says so (stepLaunch.Zero).
	roleScratch
)

func (r role) String() string {
	switch r {
	case roleInput:
		return "input"
	case roleOutput:
		return "output"
	case roleParams:
		return "params"
	case roleScratch:
		return "scratch"
	}
	return fmt.Sprintf("role(%d)", r)
}

// binding describes one [[buffer(Index)]] parameter of a kernel.
type binding struct {
	Index int    // the buffer index, [[buffer(Index)]]
	Name  string // the parameter's name in the MSL source, for messages
	Role  role   // what the backend binds there
	Write bool   // the kernel writes through it
}

// kernelDispatch is one kernel launch: dispatchThreadgroups(Groups,
// [Kernel.Threads, 1, 1]) with Args bound.
type kernelDispatch struct {
	Kernel *mslKernel
	// Groups is the number of threadgroups along x, y and z (each >= 1).
	Groups [3]int
	// Args holds one entry per Kernel.Buffers entry, in the same order.
	Args []kernelArg
}

// kernelArg is what a dispatch binds at one buffer index.
type kernelArg struct {
	Role role
	// Operand: for roleInput and roleOutput the index into Step.In or Step.Out;
	// for roleScratch the index into stepLaunch.Scratch.
	Operand int
	// Offset is a byte offset into the bound buffer (setBuffer:offset:).
	Offset int
	// Bytes is the params struct for role roleParams (setBytes:length:).
	Bytes []byte
}

// stepLaunch is how one engine step runs on the Metal kernels: scratch
// buffers, then dispatches in order, each seeing the writes of the ones
// before it (a memory barrier, or one encoder with serial dispatch).
type stepLaunch struct {
	// Scratch[i] is the byte size of scratch buffer i (private to the
	// step; freed or pooled after it).
	Scratch []int
	// Zero lists the scratch buffers that must be zero-filled before the
	// first dispatch (fillBuffer:range:value: 0).
	Zero []int
	// Status is the index of a scratch buffer of statusBytes bytes that
	// kernels use to report bad input (a gather index out of range), or -1.
	// It is listed in Zero; after the run, pass its bytes to checkStatus.
	Status int
	// Dispatches run in order.
	Dispatches []kernelDispatch
}

// statusBytes is the size of a status scratch buffer: four uint32 words,
// [0] nonzero if an error was found, [1] the position of the bad element,
// [2] and [3] the low and high words of its value.
const statusBytes = 16

// checkStatus interprets a status buffer after the step ran: nil if the
// kernels found nothing wrong, else an error wrapping
// engine.ErrIndexOutOfRange that names the bad index and its position.
func checkStatus(status []byte) error {
	if len(status) < statusBytes {
		return fmt.Errorf("metal: status buffer of %d bytes, want %d", len(status), statusBytes)
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
	registry   = map[string]*mslKernel{}
)

// register adds library kernels (called from the family files' init).
func register(ks ...*mslKernel) {
	registryMu.Lock()
	defer registryMu.Unlock()
	for _, k := range ks {
		if _, dup := registry[k.Name]; dup {
			panic("metal: duplicate kernel " + k.Name)
		}
		for i, b := range k.Buffers {
			if b.Index != i {
				panic(fmt.Sprintf("metal: %s: binding %d has index %d", k.Name, i, b.Index))
			}
		}
		registry[k.Name] = k
	}
}

// lookupKernel returns the library kernel of that name, or nil.
func lookupKernel(name string) *mslKernel {
	registryMu.Lock()
	defer registryMu.Unlock()
	return registry[name]
}

// allKernels returns every library kernel (generated ones excluded), sorted by
// name: the set a backend may precompile and that the tests compile.
func allKernels() []*mslKernel {
	registryMu.Lock()
	defer registryMu.Unlock()
	ks := make([]*mslKernel, 0, len(registry))
	for _, k := range registry {
		ks = append(ks, k)
	}
	sort.Slice(ks, func(i, j int) bool { return ks[i].Name < ks[j].Name })
	return ks
}

// mustKernel returns a registered kernel; a missing one is a bug of this
// package (the family files ask only for names they register).
func mustKernel(name string) (*mslKernel, error) {
	if k := lookupKernel(name); k != nil {
		return k, nil
	}
	return nil, fmt.Errorf("metal: no kernel %s in the library", name)
}

// params packs a params struct: each field a uint32, int32 or float32,
// little-endian, in order (the MSL structs in silica.h use only 4-byte
// fields, so there is no padding).
func params(fields ...any) []byte {
	b := make([]byte, 0, 4*len(fields))
	for _, f := range fields {
		var u uint32
		switch v := f.(type) {
		case uint32:
			u = v
		case int:
			if v < 0 || v > math.MaxUint32 {
				panic(fmt.Sprintf("metal: params field %d out of uint32 range", v))
			}
			u = uint32(v)
		case int32:
			u = uint32(v)
		case float32:
			u = math.Float32bits(v)
		case bool:
			if v {
				u = 1
			}
		default:
			panic(fmt.Sprintf("metal: params field of type %T", f))
		}
		b = binary.LittleEndian.AppendUint32(b, u)
	}
	return b
}

// ceilDiv returns ⌈a/b⌉.
func ceilDiv(a, b int) int { return (a + b - 1) / b }

// dispatch makes a dispatch of kernel k; ops holds one argument per
// binding of k, in binding order.
func dispatch(k *mslKernel, groups [3]int, ops []kernelArg) kernelDispatch {
	return kernelDispatch{Kernel: k, Groups: groups, Args: ops}
}

// argIn, argOut, argScratch and argParams make the arguments of a
// dispatch; groups1 and groups2 its grid; single a launch of one dispatch.
func argIn(i int) kernelArg        { return kernelArg{Role: roleInput, Operand: i} }
func argOut(i int) kernelArg       { return kernelArg{Role: roleOutput, Operand: i} }
func argScratch(i int) kernelArg   { return kernelArg{Role: roleScratch, Operand: i} }
func argParams(b []byte) kernelArg { return kernelArg{Role: roleParams, Bytes: b} }
func groups1(n int) [3]int         { return [3]int{max(n, 1), 1, 1} }
func groups2(x, y int) [3]int      { return [3]int{max(x, 1), max(y, 1), 1} }
func single(d kernelDispatch) *stepLaunch {
	return &stepLaunch{Status: -1, Dispatches: []kernelDispatch{d}}
}
