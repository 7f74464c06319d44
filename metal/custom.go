package metal

import (
	"encoding/binary"
	"fmt"

	"github.com/silica-go/silica/engine"
)

// maxParamBytes is the most setBytes accepts: 4 KB.
const maxParamBytes = 4096

func init() { stepKernels[engine.OpCustom] = customKernel }

// customKernel runs an OpCustom step: the kernel's MSL, compiled once
// per kernel, bound as engine.KernelSpec says (inputs, then outputs, then
// the int64 parameters of engine.KernelParams) and dispatched with the
// exact thread count of its Grid rule.
func customKernel(b *batch, s *engine.Step, in, out []engine.Value) error {
	m := b.m
	k := s.Attrs.Kernel
	if k == nil {
		return fmt.Errorf("custom step without a kernel")
	}
	spec := k.Spec()
	if spec.MSL == "" {
		return fmt.Errorf("%w: kernel %s has no MSL source", engine.ErrUnsupported, spec.Name)
	}
	pipe, err := m.pipelineFor(sourceKey("custom kernel", spec.Name, spec.MSL), func() (string, error) { return spec.MSL, nil }, spec.Name)
	if err != nil {
		return err
	}
	l := launch{name: spec.Name, pipe: pipe}
	for _, v := range s.In {
		d, err := b.value(v)
		if err != nil {
			return err
		}
		l.binds = append(l.binds, bind{index: len(l.binds), buf: d})
	}
	for _, v := range s.Out {
		d, err := b.value(v)
		if err != nil {
			return err
		}
		l.binds = append(l.binds, bind{index: len(l.binds), buf: d, write: true})
	}
	params := engine.KernelParams(in, out, s.Attrs.Params)
	raw := make([]byte, 8*len(params))
	for i, v := range params {
		binary.LittleEndian.PutUint64(raw[8*i:], uint64(v))
	}
	if len(raw) > maxParamBytes {
		return fmt.Errorf("kernel %s: %d bytes of parameters, more than the %d setBytes takes", spec.Name, len(raw), maxParamBytes)
	}
	l.binds = append(l.binds, bind{index: len(l.binds), bytes: raw})
	total, group := spec.Grid(in, out, s.Attrs.Params)
	threads := 1
	for d := range 3 {
		if total[d] < 1 || group[d] < 1 {
			return fmt.Errorf("kernel %s: Grid returned threads %v, group %v; every dimension must be at least 1", spec.Name, total, group)
		}
		threads *= group[d]
	}
	if threads > pipe.maxThreads() {
		return fmt.Errorf("kernel %s: threadgroup of %d threads, more than the pipeline's maximum %d", spec.Name, threads, pipe.maxThreads())
	}
	l.total, l.threads = total, group
	b.add(l)
	return nil
}
