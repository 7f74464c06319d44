package cuda

import (
	"fmt"
	"unsafe"

	"github.com/silica-go/silica/engine"
)

// arg is a step's value with its device address.
type arg struct {
	engine.Value
	ptr dptr
}

// stepKernel runs one step of a plan inside do, launching
// into the device's stream.
type stepKernel func(r *runner, s *engine.Step, in, out []arg) error

// kernels maps each op to the function of its family file that runs it.
var kernels = map[engine.Op]stepKernel{}

// runner is one Run: the scratch memory its steps take, released when the
// run is over, and checks to make once the stream has finished.
type runner struct {
	b       *Backend
	d       *device
	scratch []*buffer
	after   []func() error
	resOff  int // the next free byte of the device's results buffer (readAfter)
}

// resultSize is the bytes of pinned host memory a run's small results
// (readAfter) are copied into.
const resultSize = 4 << 10

// readAfter queues a copy of the n bytes at src (written by the kernels
// queued so far) into the device's pinned results buffer and returns
// where they will be once the run has synchronized: a check made after
// the run (runner.after) reads them there without a driver call of its
// own (a synchronous read of 8 bytes took about 20 us on the H100's host
// of run 21, a search's largest call after the device's wait). It
// returns nil in a dry run, without pinned memory, or when the buffer is
// full: the check then reads src itself.
func (r *runner) readAfter(src dptr, n int) ([]byte, error) {
	d := r.d
	if d.dry || r.resOff+n > resultSize {
		return nil, nil
	}
	if d.results == nil && cuMemAllocHost(&d.results, resultSize) != 0 {
		d.results = nil
		return nil, nil
	}
	p := unsafe.Add(d.results, r.resOff)
	r.resOff += (n + 7) &^ 7
	if err := check("cuMemcpyDtoHAsync", cuMemcpyDtoHAsync(p, src, uint64(n), d.stream)); err != nil {
		return nil, err
	}
	return unsafe.Slice((*byte)(p), n), nil
}

// tmp returns scratch device memory of n bytes for the rest of the run
// (in a dry run, an address that nothing reads).
func (r *runner) tmp(n int) (dptr, error) {
	if r.d.dry {
		return dryAddr, nil
	}
	buf, err := r.d.alloc(&r.b.pool, max(n, 1))
	if err != nil {
		return 0, err
	}
	r.scratch = append(r.scratch, buf)
	return buf.ptr, nil
}

// upload returns scratch device memory for the rest of the run holding
// a copy of src (not empty), made in the stream's order (device.upload):
// the host does not wait for the kernels queued before it.
func (r *runner) upload(src []byte) (dptr, error) {
	p, err := r.tmp(len(src))
	if err != nil || r.d.dry {
		return p, err
	}
	return p, r.d.upload(p, src)
}

// dryAddr is the address of every buffer of a dry run (Warm): kernels are
// loaded, never launched, so nothing reads it.
const dryAddr dptr = 1 << 40

// memset32 fills n 32-bit words at p with v, in the stream's order.
func (r *runner) memset32(p dptr, v uint32, n int) error {
	if r.d.dry || n == 0 {
		return nil
	}
	return check("cuMemsetD32Async", cuMemsetD32Async(p, v, uint64(n), r.d.stream))
}

func (r *runner) release() {
	for _, b := range r.scratch {
		r.b.pool.release(b)
	}
	r.scratch = nil
}

// Run executes the plan's steps in order on the device's stream and waits
// for them. A step with no kernel is an error wrapping
// engine.ErrUnsupported.
func (b *Backend) Run(p *engine.Plan, bufs []engine.Buffer) error { return b.run(p, bufs, nil) }

// RunRead is Run that then copies the buffers of values read to the
// host in the same stream (engine.ReadAhead; see readAhead).
func (b *Backend) RunRead(p *engine.Plan, bufs []engine.Buffer, read []int) error {
	return b.run(p, bufs, read)
}

// run is Run, with the read-ahead of the values read.
func (b *Backend) run(p *engine.Plan, bufs []engine.Buffer, read []int) error {
	return b.do(func() error {
		r := &runner{b: b, d: b.d}
		defer r.release()
		r.d.gen++ // every copy read ahead before is stale
		if err := r.d.timeStart(); err != nil {
			return err
		}
		if err := r.steps(p, func(ids []int) ([]arg, error) { return args(p, bufs, ids) }, func(s *engine.Step) error {
			if b.poison {
				return r.poison(bufs, s.Out)
			}
			return nil
		}); err != nil {
			return err
		}
		if err := r.d.timeEnd(); err != nil {
			return err
		}
		if len(read) > 0 {
			// Views of the read-ahead memory end before it is written.
			r.d.aheadMu.Lock()
			defer r.d.aheadMu.Unlock()
		}
		ahead, err := r.d.readAhead(p, bufs, read)
		if err != nil {
			return err
		}
		if err := r.d.sync(); err != nil {
			return err
		}
		r.d.profCollect()
		for _, c := range r.after {
			if err := c(); err != nil {
				return err
			}
		}
		for _, a := range ahead {
			a.buf.host, a.buf.hostN, a.buf.hostGen = unsafe.Add(r.d.ahead, a.off), a.n, r.d.gen
		}
		return nil
	})
}

// steps runs each step of p with its arguments from bind, calling
// before(step) ahead of each.
func (r *runner) steps(p *engine.Plan, bind func(ids []int) ([]arg, error), before func(s *engine.Step) error) error {
	for i := range p.Steps {
		s := &p.Steps[i]
		k, ok := kernels[s.Op]
		if !ok {
			return fmt.Errorf("%w: cuda has no kernel for %s", engine.ErrUnsupported, s.Op)
		}
		in, err := bind(s.In)
		if err != nil {
			return err
		}
		out, err := bind(s.Out)
		if err != nil {
			return err
		}
		if err := before(s); err != nil {
			return err
		}
		if err := k(r, s, in, out); err != nil {
			return fmt.Errorf("cuda: step %d %s: %w", i, engine.DescribeStep(s), err)
		}
	}
	return nil
}

// Warm compiles and loads every kernel the steps of p would launch, as
// Run would choose them for the plan's shapes, without allocating or
// launching anything (engine.Warmer). Kernels found in the disk cache
// are only loaded. A kernel that does not compile is an error naming it.
func (b *Backend) Warm(p *engine.Plan) error {
	do := b.do
	if b.d.virtual { // a lister: no context to make current
		do = func(f func() error) error {
			b.d.mu.Lock()
			defer b.d.mu.Unlock()
			return f()
		}
	}
	return do(func() error {
		r := &runner{b: b, d: b.d}
		b.d.dry = true
		defer func() { b.d.dry = false }()
		return r.steps(p, func(ids []int) ([]arg, error) {
			a := make([]arg, len(ids))
			for j, v := range ids {
				a[j] = arg{p.Values[v], dryAddr}
			}
			return a, nil
		}, func(*engine.Step) error { return nil })
	})
}

func args(p *engine.Plan, bufs []engine.Buffer, ids []int) ([]arg, error) {
	a := make([]arg, len(ids))
	for j, v := range ids {
		bb, ok := bufs[v].(*buffer)
		if !ok || bb.freed.Load() {
			return nil, fmt.Errorf("cuda: value v%d has no live cuda buffer", v)
		}
		a[j] = arg{p.Values[v], bb.ptr}
	}
	return a, nil
}

// poison fills the buffers of values ids with 0xFF bytes (the test
// poison; see Backend.poison). Buffer classes are multiples of four bytes.
func (r *runner) poison(bufs []engine.Buffer, ids []int) error {
	for _, v := range ids {
		bb := bufs[v].(*buffer)
		if err := check("cuMemsetD32Async", cuMemsetD32Async(bb.ptr, 0xffffffff, uint64(bb.class/4), r.d.stream)); err != nil {
			return err
		}
	}
	return nil
}

// ctypes are each dtype's C type in the kernels.
var ctypes = map[engine.DType]string{
	engine.Float32: "float", engine.Float16: "f16", engine.BFloat16: "bf16",
	engine.Int8: "i8", engine.Int32: "int", engine.Int64: "i64",
}

// ctype is the C type of a dtype in the kernels ("void" for none).
func ctype(dt engine.DType) string {
	if n, ok := ctypes[dt]; ok {
		return n
	}
	return "void"
}

// blocks is a grid for n items at per items a block, capped at a few
// waves of the device (the kernels loop over what is left).
func (d *device) blocks(n, per int) int {
	return max(1, min((n+per-1)/per, d.sms*32))
}
