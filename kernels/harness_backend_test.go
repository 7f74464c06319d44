package kernels_test

import (
	"bytes"
	"fmt"
	"sync"
	"testing"

	"github.com/silica-go/silica/cpu"
	"github.com/silica-go/silica/engine"
	"github.com/silica-go/silica/internal/testenv"
	"github.com/silica-go/silica/kernels"
	"github.com/silica-go/silica/kernels/msltest"
)

// mslBackend runs plans on the Metal kernels through the CPU harness: the
// Metal backend's path (kernels.Supports, kernels.Lower, the dispatches in
// order) with the harness in place of a GPU. Memory is the CPU backend's.
// Before each step its outputs are poisoned with 0xFF bytes; a step must
// write every element (checked for float outputs by the poison
// pattern, and for steps with integer outputs by a second run with another poison) and
// leave its inputs unchanged.
// launched records the library kernels the tests ran (TestMain checks
// that every one did).
var launched sync.Map

type mslBackend struct {
	*cpu.Backend
	h    *msltest.Harness
	opt  msltest.Options
	mu   sync.Mutex
	libs map[string]*msltest.Program
	// sources replaces family sources ("matmul.metal") or the header
	// ("silica.h") by other text: the deliberately broken variants.
	sources map[string]string
}

func newMSL(t testing.TB, opt msltest.Options) *engine.Engine {
	t.Helper()
	h, err := msltest.Default()
	testenv.Need(t, "clang", err)
	return engine.New("msl", &mslBackend{Backend: newCPU(), h: h, opt: opt, libs: map[string]*msltest.Program{}})
}

func (b *mslBackend) Supports(op engine.Op, a *engine.Attrs, in []engine.Value) bool {
	if op == engine.OpCustom {
		return a.Kernel != nil && a.Kernel.Spec().MSL != ""
	}
	return kernels.Supports(op, a, in)
}

// program compiles the source a kernel lives in (cached).
func (b *mslBackend) program(k *kernels.Kernel) (*msltest.Program, error) {
	key := k.Family
	if k.Source != "" {
		key = "gen:" + k.Source
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if p := b.libs[key]; p != nil {
		return p, nil
	}
	var p *msltest.Program
	var err error
	if k.Source != "" {
		p, err = b.h.Compile(k.Name+".metal", k.Source, nil)
	} else {
		src, ferr := kernels.FamilySource(k.Family)
		if ferr != nil {
			return nil, ferr
		}
		hdr := kernels.Header()
		if s, ok := b.sources[k.Family+".metal"]; ok {
			src = s
		}
		if s, ok := b.sources[kernels.HeaderName]; ok {
			hdr = s
		}
		p, err = b.h.Compile(k.Family+".metal", src, map[string]string{kernels.HeaderName: hdr})
	}
	if err != nil {
		return nil, err
	}
	b.libs[key] = p
	return p, nil
}

func (b *mslBackend) read(buf engine.Buffer, n int) ([]byte, error) {
	out := make([]byte, n)
	return out, b.Backend.Read(buf, 0, out)
}

// Run runs the steps on the harness, on host copies of the values: a
// value is read from its buffer when a step first needs it (plan inputs,
// or values an earlier submission or a host step made), and every value a
// step writes is written back.
func (b *mslBackend) Run(p *engine.Plan, bufs []engine.Buffer) error {
	host := make([][]byte, len(p.Values))
	for i := range p.Steps {
		s := &p.Steps[i]
		for _, v := range s.In {
			if host[v] == nil {
				raw, err := b.read(bufs[v], p.Values[v].Bytes())
				if err != nil {
					return err
				}
				host[v] = raw
			}
		}
		first, err := b.step(p, s, host, 0xff)
		if err != nil {
			return fmt.Errorf("step %d %s: %w", i, engine.DescribeStep(s), err)
		}
		// float outputs are checked by their poison pattern; a step with
		// an integer output runs again with another poison, and must give
		// the same bytes
		for _, v := range s.Out {
			if poisonShows(s.Op, p.Values[v].DType) {
				continue
			}
			second, err := b.step(p, s, host, 0x5a)
			if err != nil {
				return fmt.Errorf("step %d %s (second poison): %w", i, engine.DescribeStep(s), err)
			}
			for j := range s.Out {
				if !bytes.Equal(first[j], second[j]) {
					return fmt.Errorf("step %d %s: output %d differs between two runs with different poison: an element is left unwritten or the result depends on scheduling", i, engine.DescribeStep(s), j)
				}
			}
			break
		}
		for j, v := range s.Out {
			host[v] = first[j]
		}
	}
	for i := range p.Steps {
		for _, v := range p.Steps[i].Out {
			if err := b.Backend.Write(bufs[v], 0, host[v]); err != nil {
				return err
			}
		}
	}
	return nil
}

// step runs one step with outputs poisoned by poison and returns them.
func (b *mslBackend) step(p *engine.Plan, s *engine.Step, host [][]byte, poison byte) ([][]byte, error) {
	in := make([]engine.Value, len(s.In))
	for j, v := range s.In {
		in[j] = p.Values[v]
	}
	out := make([]engine.Value, len(s.Out))
	outs := make([][]byte, len(s.Out))
	for j, v := range s.Out {
		out[j] = p.Values[v]
		outs[j] = bytes.Repeat([]byte{poison}, out[j].Bytes())
	}
	saved := make([][]byte, len(s.In))
	for j, v := range s.In {
		saved[j] = bytes.Clone(host[v])
	}
	if s.Op == engine.OpCustom {
		ins := make([]engine.HostArray, len(s.In))
		for j, v := range s.In {
			ins[j] = engine.HostArray{Value: in[j], Data: host[v]}
		}
		outa := make([]engine.HostArray, len(s.Out))
		for j := range s.Out {
			outa[j] = engine.HostArray{Value: out[j], Data: outs[j]}
		}
		if err := b.h.RunKernel(s.Attrs.Kernel.Spec(), s.Attrs.Params, ins, outa, b.opt); err != nil {
			return nil, err
		}
		return outs, nil
	}
	l, err := kernels.Lower(s, in, out)
	if err != nil {
		return nil, err
	}
	scratch := make([][]byte, len(l.Scratch))
	for j, n := range l.Scratch {
		scratch[j] = bytes.Repeat([]byte{poison}, n)
	}
	for _, j := range l.Zero {
		clear(scratch[j])
	}
	for _, d := range l.Dispatches {
		prog, err := b.program(d.Kernel)
		if err != nil {
			return nil, err
		}
		launch := msltest.Launch{Kernel: d.Kernel.Name, Groups: d.Groups, Threads: [3]int{d.Kernel.Threads, 1, 1},
			ThreadgroupMemory: map[int]int{}}
		for j, n := range d.Kernel.ThreadgroupMemory {
			if n > 0 {
				launch.ThreadgroupMemory[j] = n
			}
		}
		if len(d.Args) != len(d.Kernel.Buffers) {
			return nil, fmt.Errorf("%s: %d args for %d bindings", d.Kernel.Name, len(d.Args), len(d.Kernel.Buffers))
		}
		for j, a := range d.Args {
			bind := d.Kernel.Buffers[j]
			if a.Role != bind.Role {
				return nil, fmt.Errorf("%s: arg %d has role %v, binding %s is %v", d.Kernel.Name, j, a.Role, bind.Name, bind.Role)
			}
			var data []byte
			switch a.Role {
			case kernels.Input:
				data = host[s.In[a.Operand]]
			case kernels.Output:
				data = outs[a.Operand]
			case kernels.Scratch:
				data = scratch[a.Operand]
			case kernels.Params:
				data = bytes.Clone(a.Bytes)
			}
			launch.Buffers = append(launch.Buffers, msltest.Buffer{Index: bind.Index, Data: data[a.Offset:]})
		}
		if err := prog.Run(launch, b.opt); err != nil {
			return nil, err
		}
		if d.Kernel.Source == "" {
			launched.Store(d.Kernel.Name, true)
		}
	}
	for j, v := range s.In {
		if !bytes.Equal(saved[j], host[v]) {
			return nil, fmt.Errorf("input %d was modified", j)
		}
	}
	if l.Status >= 0 {
		if err := kernels.CheckStatus(scratch[l.Status]); err != nil {
			return nil, err
		}
	}
	for j, o := range outs {
		if at := poisonAt(s.Op, out[j].DType, o, poison); at >= 0 {
			return nil, fmt.Errorf("output %d element %d still holds the poison pattern: not written, or computed from uninitialised memory", j, at)
		}
	}
	return outs, nil
}

// poisonShows reports whether an output of op with dtype dt can never
// legitimately hold the 0xFF poison: a float (that NaN is computed by no
// kernel, and the tests' random data never holds it), or a top-k index (-1).
func poisonShows(op engine.Op, dt engine.DType) bool {
	return dt.IsFloat() || (dt == engine.Int64 && (op == engine.OpTopK || op == engine.OpScanTopK))
}

// poisonAt returns the first element of an output still holding the 0xFF
// poison where poisonShows, or -1. Other outputs may legitimately hold any
// pattern; a second run with another poison covers them.
func poisonAt(op engine.Op, dt engine.DType, b []byte, poison byte) int {
	if poison != 0xff || !poisonShows(op, dt) {
		return -1
	}
	size := dt.Size()
	for i := 0; i < len(b); i += size {
		all := true
		for _, c := range b[i : i+size] {
			all = all && c == 0xff
		}
		if all {
			return i / size
		}
	}
	return -1
}
