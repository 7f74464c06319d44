package cpu

import "github.com/silica-go/silica/engine"

func init() { kernels[engine.OpCustom] = customKernel }

// customKernel runs a user kernel's Go function on the buffers in place:
// on the CPU backend the Go function is the implementation.
func customKernel(c *Backend, s *engine.Step, in, out []arg) error {
	args := &engine.KernelArgs{Params: s.Attrs.Params}
	for _, a := range in {
		args.In = append(args.In, engine.HostArray{Value: a.Value, Data: a.b})
	}
	for _, a := range out {
		args.Out = append(args.Out, engine.HostArray{Value: a.Value, Data: a.b})
	}
	return s.Attrs.Kernel.Spec().Go(args)
}
