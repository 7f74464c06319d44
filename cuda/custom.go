package cuda

import (
	"crypto/sha256"
	"encoding/hex"
	"unsafe"

	"github.com/silica-go/silica/engine"
)

func init() { kernels[engine.OpCustom] = customKernel }

// customKernel runs a kernel defined outside the engine (engine.NewKernel)
// from its CUDA C source: arguments are the inputs, the outputs, then the
// int64 parameter buffer of engine.KernelParams; the launch is the spec's
// Grid rule.
func customKernel(r *runner, s *engine.Step, in, out []arg) error {
	spec := s.Attrs.Kernel.Spec()
	inv := make([]engine.Value, len(in))
	outv := make([]engine.Value, len(out))
	var a argPack // the kernel's own signature: in, out, params, all pointers
	for i, x := range in {
		inv[i] = x.Value
		a.ptr(x.ptr)
	}
	for i, x := range out {
		outv[i] = x.Value
		a.ptr(x.ptr)
	}
	params := engine.KernelParams(inv, outv, s.Attrs.Params)
	pp, err := r.upload(unsafe.Slice((*byte)(unsafe.Pointer(&params[0])), 8*len(params)))
	if err != nil {
		return err
	}
	a.ptr(pp)
	threads, group := spec.Grid(inv, outv, s.Attrs.Params)
	var grid [3]int
	for i := range grid {
		g := max(group[i], 1)
		grid[i] = (threads[i] + g - 1) / g
	}
	h := sha256.Sum256([]byte(spec.CUDA))
	v := variant{kind: spec.Name, params: []string{hex.EncodeToString(h[:4])}, extra: spec.CUDA}
	fn, err := r.d.function(v, spec.Name)
	if err != nil {
		return err
	}
	return r.d.launchN(v.String(), fn, grid, [3]int{max(group[0], 1), max(group[1], 1), max(group[2], 1)}, 0, &a)
}
