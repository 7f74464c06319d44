package metal

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"

	"github.com/silica-go/silica/engine"
	"github.com/silica-go/silica/kernels"
)

// stepKernel appends the launches of one step to the batch b: in and out
// are the values of s.In and s.Out. The family files (convert.go,
// elementwise.go, gather.go, matmul.go, reduce.go, scan.go, topk.go,
// custom.go) register one for each op they run, as cpu/ and cuda/ do.
type stepKernel func(b *batch, s *engine.Step, in, out []engine.Value) error

var (
	stepKernels = map[engine.Op]stepKernel{}
	// fits holds, for the ops whose kernels have limits, whether a step's
	// attributes and inputs are within them; an op without an entry runs
	// any step.
	fits = map[engine.Op]func(a *engine.Attrs, in []engine.Value) bool{}
)

// Supports reports whether the backend runs op with these attributes and
// inputs (engine.Capabilities): the ops the Metal kernels implement,
// within their limits (a fused scan with k above maxScanK is refused, so
// the engine plans a matrix product and a top-k; an element-wise program
// takes at most maxFusedInputs inputs of one float dtype), and custom
// kernels that carry an MSL source.
func (m *Backend) Supports(op engine.Op, attrs *engine.Attrs, in []engine.Value) bool {
	if op == engine.OpCustom {
		return attrs.Kernel != nil && attrs.Kernel.Spec().MSL != ""
	}
	if _, ok := stepKernels[op]; !ok {
		return false
	}
	f := fits[op]
	return f == nil || f(attrs, in)
}

// lower appends the launches of step i. A step the kernels do not run is
// an error wrapping engine.ErrUnsupported.
func (m *Backend) lower(b *batch, i int, s *engine.Step) error {
	in := make([]engine.Value, len(s.In))
	for j, v := range s.In {
		in[j] = b.p.Values[v]
	}
	out := make([]engine.Value, len(s.Out))
	for j, v := range s.Out {
		out[j] = b.p.Values[v]
	}
	k, ok := stepKernels[s.Op]
	if !ok || !m.Supports(s.Op, &s.Attrs, in) {
		return fmt.Errorf("%w: no Metal kernel for %s", engine.ErrUnsupported, engine.DescribeStep(s))
	}
	b.step, b.s = i, s
	return k(b, s, in, out)
}

// encode appends the launches of a step's kernels: scratch buffers
// (zeroed where asked), then each dispatch with its pipeline and its
// buffers bound where the manifest says.
func (b *batch) encode(l *stepLaunch) error {
	m := b.m
	scratch := make([]*buffer, len(l.Scratch))
	for j, n := range l.Scratch {
		eb, err := m.Alloc(max(n, 1))
		if err != nil {
			return fmt.Errorf("scratch buffer %d: %w", j, err)
		}
		b.scratch = append(b.scratch, eb)
		scratch[j] = eb.(*buffer)
	}
	for _, j := range l.Zero {
		// Shared memory, and the command buffer is not committed yet: the
		// host clears it directly (no blit pass).
		clear(scratch[j].data())
	}
	if l.Status >= 0 {
		b.status = append(b.status, statusCheck{step: b.step, buf: scratch[l.Status]})
	}
	for _, d := range l.Dispatches {
		ln, err := m.dispatchLaunch(b, b.s, &d, scratch)
		if err != nil {
			return err
		}
		b.add(ln)
	}
	return nil
}

// dispatchLaunch binds one dispatch of a lowered step.
func (m *Backend) dispatchLaunch(b *batch, s *engine.Step, d *kernelDispatch, scratch []*buffer) (launch, error) {
	k := d.Kernel
	pipe, err := m.kernelPipeline(k)
	if err != nil {
		return launch{}, fmt.Errorf("kernel %s: %w", k.Name, err)
	}
	if k.Threads > pipe.maxThreads() {
		return launch{}, fmt.Errorf("kernel %s: %d threads per threadgroup, more than its pipeline's maximum %d", k.Name, k.Threads, pipe.maxThreads())
	}
	if len(d.Args) != len(k.Buffers) {
		return launch{}, fmt.Errorf("kernel %s: %d arguments for %d buffer bindings", k.Name, len(d.Args), len(k.Buffers))
	}
	l := launch{name: k.Name, pipe: pipe, groups: d.Groups, threads: [3]int{k.Threads, 1, 1}, tgmem: k.ThreadgroupMemory}
	for j, a := range d.Args {
		bd := k.Buffers[j]
		if a.Role != bd.Role {
			return launch{}, fmt.Errorf("kernel %s: argument %d is %s, its binding %s is %s", k.Name, j, a.Role, bd.Name, bd.Role)
		}
		x := bind{index: bd.Index, off: a.Offset, write: bd.Write}
		switch a.Role {
		case roleInput, roleOutput:
			ids := s.In
			if a.Role == roleOutput {
				ids = s.Out
			}
			if a.Operand < 0 || a.Operand >= len(ids) {
				return launch{}, fmt.Errorf("kernel %s: %s operand %d of a step with %d", k.Name, a.Role, a.Operand, len(ids))
			}
			if x.buf, err = b.value(ids[a.Operand]); err != nil {
				return launch{}, err
			}
		case roleScratch:
			if a.Operand < 0 || a.Operand >= len(scratch) {
				return launch{}, fmt.Errorf("kernel %s: scratch operand %d of %d", k.Name, a.Operand, len(scratch))
			}
			x.buf = scratch[a.Operand].dev
		case roleParams:
			if len(a.Bytes) == 0 || len(a.Bytes) > maxParamBytes {
				return launch{}, fmt.Errorf("kernel %s: params of %d bytes (setBytes takes 1 to %d)", k.Name, len(a.Bytes), maxParamBytes)
			}
			x.bytes = a.Bytes
		default:
			return launch{}, fmt.Errorf("kernel %s: binding %s has role %s", k.Name, bd.Name, a.Role)
		}
		l.binds = append(l.binds, x)
	}
	return l, nil
}

// kernelPipeline returns the pipeline of a manifest kernel: from its
// family's library (compiled once, header inlined), or from its own source
// for a generated kernel (an element-wise program), compiled once per
// distinct source.
func (m *Backend) kernelPipeline(k *mslKernel) (pipeline, error) {
	if k.Source != "" {
		return m.pipelineFor(sourceKey("generated kernel", k.Name, k.Source), func() (string, error) { return k.Source, nil }, k.Name)
	}
	return m.pipelineFor(familyKey+k.Family, func() (string, error) { return kernels.LibrarySource(k.Family) }, k.Name)
}

// familyKey prefixes the library name of a kernel family.
const familyKey = "kernel family "

// sourceKey names a library compiled from a kernel's own source: what it
// is, the kernel's name and a hash of the source, so that one source is
// compiled once however many times its kernel is made.
func sourceKey(what, name, source string) string {
	sum := sha256.Sum256([]byte(source))
	return what + " " + name + " " + hex.EncodeToString(sum[:8])
}
