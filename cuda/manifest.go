package cuda

import (
	"fmt"
	"math"
)

// Each kernel of kernels/cuda has a parameter struct: its fields are the
// parameters of the kernel's extern "C" __global__ function, in order,
// named as there (case and underscores aside: keys_in is keysIn), and
// typed by what the kernel declares:
//
//	any pointer T*          dptr
//	i64                     int64
//	int                     int32, or bool for a flag the kernel reads as 0 or 1
//	float                   float32
//
// Its pack method appends the fields in order and launch passes them,
// with no reflection and no type switch. TestKernelManifest parses every
// kernel file and checks each struct against its function, and pack
// against the struct: a parameter added, dropped, renamed, retyped or
// moved on one side only is a test failure, not a kernel reading the
// wrong argument.
type kernelArgs interface {
	// entry is the kernel's file in kernels/cuda and its function name.
	entry() (file, name string)
	// pack appends the arguments, in the order of the fields.
	pack(a *argPack)
}

// family is what an op-family file registers about its kernels, from its
// init (registerFamily): the parameter struct of each kernel it launches
// (the manifest, which TestKernelManifest checks against the .cu source)
// and the variants it builds in the default settings (defaultVariants,
// which the compile test builds). So a new kernel is listed in the file
// that launches it, and nowhere else.
type family struct {
	variants func() []variant
	args     []kernelArgs
}

// families are the registered op-family files.
var families []family

// registerFamily registers an op-family file's default variants (nil for
// none: generated kernels) and its kernels' parameter structs.
func registerFamily(variants func() []variant, args ...kernelArgs) {
	families = append(families, family{variants, args})
}

// manifest returns every registered kernel's parameter struct.
func manifest() []kernelArgs {
	var ps []kernelArgs
	for _, f := range families {
		ps = append(ps, f.args...)
	}
	return ps
}

// maxKernelArgs is the most arguments a launch passes (the device's
// parameter slots).
const maxKernelArgs = 64

// argKind is the C type an argument is passed as.
type argKind uint8

const (
	argPtr  argKind = iota + 1 // a device pointer
	argI64                     // i64
	argI32                     // int
	argFlag                    // int, 0 or 1
	argF32                     // float
)

func (k argKind) String() string {
	switch k {
	case argPtr:
		return "pointer"
	case argI64:
		return "i64"
	case argI32:
		return "int"
	case argFlag:
		return "int (flag)"
	case argF32:
		return "float"
	}
	return fmt.Sprintf("argKind(%d)", uint8(k))
}

// argPack is a launch's arguments, each in an 8-byte slot of which the
// kernel reads the low bytes it declares (little-endian).
type argPack struct {
	n    int // arguments appended; past maxKernelArgs only counted
	v    [maxKernelArgs]uint64
	kind [maxKernelArgs]argKind
}

func (a *argPack) put(k argKind, v uint64) *argPack {
	if a.n < maxKernelArgs {
		a.v[a.n], a.kind[a.n] = v, k
	}
	a.n++
	return a
}

// The appenders return a, to be chained in the order of the parameters.
func (a *argPack) ptr(p dptr) *argPack    { return a.put(argPtr, p) }
func (a *argPack) i64(v int64) *argPack   { return a.put(argI64, uint64(v)) }
func (a *argPack) i32(v int32) *argPack   { return a.put(argI32, uint64(int64(v))) }
func (a *argPack) f32(v float32) *argPack { return a.put(argF32, uint64(math.Float32bits(v))) }
func (a *argPack) flag(v bool) *argPack   { return a.put(argFlag, uint64(b2i(v))) }

// launch compiles variant v (once) and launches the kernel that p is the
// arguments of, with grid blocks of block threads and smem bytes of
// dynamic shared memory, on the device's stream. p's kernel must be a
// function of v's file.
func launch[P kernelArgs](d *device, v variant, grid [3]int, block, smem int, p P) error {
	file, name := p.entry()
	if file != v.file {
		return fmt.Errorf("cuda: kernel %s of %s launched from variant %s of %s", name, file, v, v.file)
	}
	fn, err := d.function(v, name)
	if err != nil {
		return err
	}
	var a argPack
	p.pack(&a)
	return d.launchN(v.String()+"."+name, fn, grid, [3]int{block, 1, 1}, smem, &a)
}
