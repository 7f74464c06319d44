package engine

import (
	"encoding/binary"
	"fmt"
	"math"
	"regexp"
	"unsafe"
)

// KernelSpec defines an op from outside the engine: a kernel for each GPU
// (optional), a Go function that computes the same thing (required: it is
// the reference, the CPU backend's implementation, and the fall back of a
// backend without a source), and the rules for its outputs and launch.
//
// # Buffer bindings
//
// A GPU kernel receives the op's inputs in order, then its outputs, then
// one buffer of int64 parameters (KernelParams describes its layout), all
// as device pointers: in MSL, [[buffer(0)]] ... [[buffer(nIn+nOut)]]; in
// CUDA C, kernel arguments in that order (extern "C" __global__, named
// Name). Threads are launched as Grid says.
type KernelSpec struct {
	// Name is the kernel's function name in MSL and CUDA C: letters,
	// digits and underscores.
	Name string
	// MSL is the Metal Shading Language source of the kernel (may be
	// empty: the Metal backend then runs Go on the host, and says so).
	MSL string
	// CUDA is the CUDA C source (may be empty, likewise).
	CUDA string
	// Go computes the op on the host from args.In into args.Out. It must
	// write every element of every output.
	Go func(args *KernelArgs) error
	// Outputs returns the outputs' shapes and dtypes for the given inputs
	// and parameters, or an error naming what is wrong with them; it is
	// called when the op is built, so shape errors surface at build time.
	Outputs func(in []Value, params []int64) ([]Value, error)
	// Grid returns the GPU launch: the total number of threads along each
	// of three dimensions, and the threadgroup (CUDA block) size.
	Grid func(in, out []Value, params []int64) (threads, group [3]int)
}

// Kernel is a registered KernelSpec; Call applies it.
type Kernel struct {
	spec KernelSpec
}

var kernelName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// NewKernel checks a spec and makes a Kernel of it.
func NewKernel(spec KernelSpec) (*Kernel, error) {
	switch {
	case !kernelName.MatchString(spec.Name):
		return nil, fmt.Errorf("engine: kernel name %q: want letters, digits and underscores", spec.Name)
	case spec.Go == nil:
		return nil, fmt.Errorf("engine: kernel %s: the Go function is required (it is the reference and the CPU implementation)", spec.Name)
	case spec.Outputs == nil:
		return nil, fmt.Errorf("engine: kernel %s: the Outputs rule is required", spec.Name)
	case (spec.MSL != "" || spec.CUDA != "") && spec.Grid == nil:
		return nil, fmt.Errorf("engine: kernel %s: a GPU source needs a Grid rule", spec.Name)
	}
	return &Kernel{spec: spec}, nil
}

// Spec returns the kernel's definition.
func (k *Kernel) Spec() KernelSpec { return k.spec }

// Name returns the kernel's name.
func (k *Kernel) Name() string { return k.spec.Name }

// Call applies the kernel to inputs with integer parameters, returning its
// lazy outputs. Outputs' errors are returned here, at build time.
func (k *Kernel) Call(params []int64, inputs ...*Array) ([]*Array, error) {
	e, err := sameEngine(k.spec.Name, inputs...)
	if err != nil {
		return nil, err
	}
	if e == nil {
		return nil, fmt.Errorf("engine: kernel %s: at least one input is required", k.spec.Name)
	}
	in := make([]Value, len(inputs))
	for i, a := range inputs {
		in[i] = Value{Shape: a.shape, DType: a.dtype, Slot: -1}
	}
	outs, err := k.spec.Outputs(in, params)
	if err != nil {
		return nil, fmt.Errorf("engine: kernel %s: %w", k.spec.Name, err)
	}
	if len(outs) == 0 {
		return nil, fmt.Errorf("engine: kernel %s: Outputs returned no outputs", k.spec.Name)
	}
	shapes := make([]Shape, len(outs))
	dtypes := make([]DType, len(outs))
	for i, o := range outs {
		if err := checkShape("kernel "+k.spec.Name, o.Shape); err != nil {
			return nil, err
		}
		if o.DType.Size() == 0 {
			return nil, fmt.Errorf("engine: kernel %s: output %d has invalid dtype", k.spec.Name, i)
		}
		shapes[i], dtypes[i] = o.Shape.Clone(), o.DType
	}
	attrs := Attrs{Kernel: k, Params: append([]int64(nil), params...)}
	return e.newLazy(OpCustom, attrs, inputs, shapes, dtypes), nil
}

// KernelArgs are the host views a kernel's Go function works on.
type KernelArgs struct {
	In     []HostArray
	Out    []HostArray
	Params []int64
}

// HostArray is an input or output of a kernel in host memory:
// little-endian elements of Value.DType in C order.
type HostArray struct {
	Value
	Data []byte
}

// Float32s views a Float32 array's data as float32s (nil for other
// dtypes). The data is 4-byte aligned wherever the engine provides it.
func (h HostArray) Float32s() []float32 {
	if h.DType != Float32 || len(h.Data) < 4 {
		return nil
	}
	return unsafe.Slice((*float32)(unsafe.Pointer(&h.Data[0])), len(h.Data)/4)
}

// Float32At returns element i of a float array as float32.
func (h HostArray) Float32At(i int) float32 {
	switch h.DType {
	case Float32:
		return math.Float32frombits(binary.LittleEndian.Uint32(h.Data[4*i:]))
	default:
		return DecodeFloat32(h.DType, h.Data[i*h.DType.Size():(i+1)*h.DType.Size()])[0]
	}
}

// KernelParams lays out the parameter buffer a GPU kernel receives: for
// each input then each output, its rank and its MaxRank dimensions
// (padded with 1 on the left), then the user's parameters. All int64.
func KernelParams(in, out []Value, params []int64) []int64 {
	var p []int64
	for _, vs := range [][]Value{in, out} {
		for _, v := range vs {
			p = append(p, int64(len(v.Shape)))
			pad := MaxRank - len(v.Shape)
			for j := range MaxRank {
				if j < pad {
					p = append(p, 1)
				} else {
					p = append(p, int64(v.Shape[j-pad]))
				}
			}
		}
	}
	return append(p, params...)
}
