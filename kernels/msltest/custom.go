package msltest

import (
	"encoding/binary"
	"fmt"

	"github.com/silica-go/silica/engine"
)

// RunKernel runs the MSL of a kernel defined outside the engine
// (engine.KernelSpec) as the Metal backend does: spec.MSL compiled (a
// compile error names spec.Name and the lines of its source), inputs
// bound at [[buffer(0)]]..., then the outputs, then the int64 parameter
// buffer laid out by engine.KernelParams; spec.Grid's threads dispatched
// as a non-uniform grid in threadgroups of its group size. out's Data are
// the output buffers (the caller may poison them); they hold the results
// afterwards.
func (h *Harness) RunKernel(spec engine.KernelSpec, params []int64, in, out []engine.HostArray, opt Options) error {
	if spec.MSL == "" {
		return fmt.Errorf("msltest: kernel %s has no MSL source", spec.Name)
	}
	if spec.Grid == nil {
		return fmt.Errorf("msltest: kernel %s has no Grid rule", spec.Name)
	}
	p, err := h.Compile(spec.Name+".metal", spec.MSL, nil)
	if err != nil {
		return err
	}
	if _, ok := p.Kernels[spec.Name]; !ok {
		return fmt.Errorf("msltest: %s.metal has no kernel named %s (it has %v)", spec.Name, spec.Name, p.KernelNames())
	}
	iv := make([]engine.Value, len(in))
	for i, a := range in {
		iv[i] = a.Value
	}
	ov := make([]engine.Value, len(out))
	for i, a := range out {
		ov[i] = a.Value
		if len(a.Data) != a.Bytes() {
			return fmt.Errorf("msltest: kernel %s: output %d has %d bytes, want %d", spec.Name, i, len(a.Data), a.Bytes())
		}
	}
	grid, group := spec.Grid(iv, ov, params)
	l := Launch{Kernel: spec.Name, Grid: grid, Threads: group}
	for i, a := range in {
		l.Buffers = append(l.Buffers, Buffer{Index: i, Data: append([]byte(nil), a.Data...)})
	}
	for i, a := range out {
		l.Buffers = append(l.Buffers, Buffer{Index: len(in) + i, Data: a.Data})
	}
	kp := engine.KernelParams(iv, ov, params)
	pb := make([]byte, 8*len(kp))
	for i, v := range kp {
		binary.LittleEndian.PutUint64(pb[8*i:], uint64(v))
	}
	l.Buffers = append(l.Buffers, Buffer{Index: len(in) + len(out), Data: pb})
	return p.Run(l, opt)
}
