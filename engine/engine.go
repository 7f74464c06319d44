package engine

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"unsafe"
)

var errClosed = errors.New("engine: closed")

// maxCachedPlans bounds the plan cache; past it the cache starts over.
const maxCachedPlans = 512

// Engine builds lazy graphs and evaluates them on one backend. It is safe
// for concurrent use; evaluations on one engine run one at a time, each as
// one submission to the backend.
type Engine struct {
	name string
	b    Backend
	caps Capabilities // nil: the backend fuses nothing and runs every op

	mu     sync.Mutex
	plans  map[string]*Plan
	closed bool

	evals, plansBuilt, planHits, submissions, scratch atomic.Int64
}

// Stats counts an engine's work since it was opened.
type Stats struct {
	Evals        int64 // Eval calls that ran a plan
	PlansBuilt   int64 // plans made (cache misses)
	PlanHits     int64 // plans taken from the cache
	Submissions  int64 // plans handed to the backend
	ScratchBytes int64 // bytes of buffer slots allocated, summed over runs
}

func newEngine(name string, b Backend) *Engine {
	e := &Engine{name: name, b: b, plans: map[string]*Plan{}}
	e.caps, _ = b.(Capabilities)
	return e
}

// New wraps a backend in an engine without the registry (for backends made
// directly, and tests).
func New(name string, b Backend) *Engine { return newEngine(name, b) }

// Name returns the name the engine was opened with ("cpu", "torch:mps"...).
func (e *Engine) Name() string { return e.name }

// Backend returns the engine's backend.
func (e *Engine) Backend() Backend { return e.b }

// Device describes the backend's device.
func (e *Engine) Device() DeviceInfo { return e.b.Device() }

// Stats returns the engine's counters.
func (e *Engine) Stats() Stats {
	return Stats{e.evals.Load(), e.plansBuilt.Load(), e.planHits.Load(), e.submissions.Load(), e.scratch.Load()}
}

// MemoryInUse returns the backend's device bytes in use, or -1 if the
// backend does not count them.
func (e *Engine) MemoryInUse() int64 {
	if m, ok := e.b.(MemoryReporter); ok {
		return m.MemoryInUse()
	}
	return -1
}

// Synchronize waits for the backend's submitted work.
func (e *Engine) Synchronize() error { return e.b.Synchronize() }

// Close releases the backend. Arrays of the engine are unusable afterwards.
func (e *Engine) Close() error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.closed {
		return nil
	}
	e.closed = true
	e.plans = nil
	return e.b.Close()
}

// Eval computes the given arrays: it plans the graph that produces them
// (topological order, fusion, buffer reuse; the plan is cached by the
// graph's signature) and runs the plan on the backend as one submission.
// Arrays already evaluated are left as they are.
func (e *Engine) Eval(arrays ...*Array) error { return e.EvalRead(nil, arrays...) }

// EvalRead is Eval of arrays and read, for a caller that reads the
// arrays of read on the host right after it (Float32, Int64, Bytes and
// their Append forms): on a backend whose memory is not the host's
// (ReadAhead), their copies to the host are queued in the same
// submission, after its last kernel, and those reads then take them from
// host memory without a further wait on the device. On other backends it
// is Eval. Where arrays holds every array of read, the plan is Eval's of
// arrays (Warm(arrays...) prepares it).
func (e *Engine) EvalRead(read []*Array, arrays ...*Array) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	all := slices.Clip(arrays)
	for _, a := range read {
		if !slices.Contains(arrays, a) {
			all = append(all, a)
		}
	}
	g, err := e.prepare(all)
	if err != nil || g == nil {
		return err
	}
	return e.run(g, read)
}

// Warm prepares the first Eval of the arrays without running it: it plans
// the graph as Eval would (the plan is cached, so that Eval finds it) and,
// when the backend implements Warmer, asks it to compile every kernel the
// plan's steps would launch. The arrays stay unevaluated and no buffer is
// allocated. A backend without Warmer has nothing to prepare: nil. Errors
// are Eval's planning errors and the backend's compile errors.
func (e *Engine) Warm(arrays ...*Array) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	g, err := e.prepare(arrays)
	if err != nil || g == nil {
		return err
	}
	if w, ok := e.b.(Warmer); ok {
		if err := w.Warm(g.plan); err != nil {
			return fmt.Errorf("engine: warm %s: %w", e.name, err)
		}
	}
	return nil
}

// Explain returns the plan Eval would run for the arrays, without running
// it (nil if every array is already evaluated).
func (e *Engine) Explain(arrays ...*Array) (*Plan, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	g, err := e.prepare(arrays)
	if err != nil || g == nil {
		return nil, err
	}
	return g.plan, nil
}

// graph is the part of the lazy graph one Eval computes.
type graph struct {
	nodes  []*node  // topological order
	leaves []*Array // evaluated inputs, in plan binding order
	plan   *Plan
}

// prepare collects the graph under the arrays and finds or builds its plan.
// Called with e.mu held; returns nil, nil when there is nothing to do.
func (e *Engine) prepare(arrays []*Array) (*graph, error) {
	if e.closed {
		return nil, errClosed
	}
	g := &graph{}
	nodePos := map[*node]int{}
	leafPos := map[*Array]int{}
	sig := make([]byte, 0, 256)
	// ref appends a reference to an input: a leaf's number or a node's
	// number and output.
	ref := func(b []byte, leaf bool, i, out int) []byte {
		if leaf {
			b = append(b, 'L')
			return strconv.AppendInt(b, int64(i), 10)
		}
		b = append(b, 'N')
		b = strconv.AppendInt(b, int64(i), 10)
		b = append(b, '.')
		return strconv.AppendInt(b, int64(out), 10)
	}
	typ := func(b []byte, d DType, s Shape) []byte {
		b = append(b, byte('a'+d))
		for _, x := range s {
			b = append(b, ' ')
			b = strconv.AppendInt(b, int64(x), 10)
		}
		return append(b, ';')
	}
	var visit func(a *Array, refs []byte) ([]byte, error)
	visit = func(a *Array, refs []byte) ([]byte, error) {
		if a.data != nil {
			i, ok := leafPos[a]
			if !ok {
				i = len(g.leaves)
				leafPos[a] = i
				g.leaves = append(g.leaves, a)
				sig = ref(sig, true, i, 0)
				sig = typ(append(sig, '='), a.dtype, a.shape)
			}
			return ref(refs, true, i, 0), nil
		}
		if a.node == nil {
			return nil, errFreed(a)
		}
		if i, ok := nodePos[a.node]; ok {
			if i < 0 {
				return nil, fmt.Errorf("engine: graph has a cycle at %s", a.node.op)
			}
			return ref(refs, false, i, a.out), nil
		}
		nodePos[a.node] = -1
		var in []byte
		for _, x := range a.node.inputs {
			var err error
			if in, err = visit(x, append(in, ',')); err != nil {
				return nil, err
			}
		}
		pos := len(g.nodes)
		nodePos[a.node] = pos
		g.nodes = append(g.nodes, a.node)
		sig = ref(sig, false, pos, 0)
		sig = append(sig, '=')
		sig = strconv.AppendInt(sig, int64(a.node.op), 10)
		sig = append(sig, '{')
		sig = a.node.attrs.appendKey(sig)
		sig = append(sig, '}')
		sig = append(sig, in...)
		sig = append(sig, '>')
		for _, t := range a.node.types {
			sig = typ(sig, t.dtype, t.shape)
		}
		return ref(refs, false, pos, a.out), nil
	}
	var targets []int
	for _, a := range arrays {
		if a == nil {
			return nil, errNilArray
		}
		if a.e != e {
			return nil, fmt.Errorf("engine: Eval on %s of an array from engine %s", e.name, a.e.name)
		}
		if a.data != nil {
			continue
		}
		if _, err := visit(a, nil); err != nil {
			return nil, err
		}
		targets = append(targets, nodePos[a.node])
	}
	if len(targets) == 0 {
		return nil, nil
	}
	sig = append(sig, 'R')
	for _, t := range targets {
		sig = append(sig, ',')
		sig = strconv.AppendInt(sig, int64(t), 10)
	}
	if p, ok := e.plans[string(sig)]; ok {
		e.planHits.Add(1)
		g.plan = p
		return g, nil
	}
	p, err := e.buildPlan(g, targets)
	if err != nil {
		return nil, err
	}
	key := string(sig)
	p.Signature = key
	if len(e.plans) >= maxCachedPlans {
		clear(e.plans)
	}
	e.plans[key] = p
	e.plansBuilt.Add(1)
	g.plan = p
	return g, nil
}

// run executes g's plan and hands the outputs to their arrays. Called with
// e.mu held.
func (e *Engine) run(g *graph, read []*Array) error {
	p := g.plan
	slots := make([]Buffer, len(p.Slots))
	freeSlots := func() {
		for i, b := range slots {
			if b != nil {
				e.b.Free(b)
				slots[i] = nil
			}
		}
	}
	for i, n := range p.Slots {
		b, err := e.b.Alloc(n)
		if err != nil {
			freeSlots()
			return fmt.Errorf("engine: allocate %d bytes on %s: %w", n, e.name, err)
		}
		slots[i] = b
		e.scratch.Add(int64(n))
	}
	bufs := make([]Buffer, len(p.Values))
	for i, v := range p.Inputs {
		bufs[v] = g.leaves[i].data.buf
	}
	for i, v := range p.Values {
		if v.Slot >= 0 {
			bufs[i] = slots[v.Slot]
		}
	}
	e.evals.Add(1)
	if err := e.execute(p, bufs, readValues(g, read)); err != nil {
		freeSlots()
		return fmt.Errorf("engine: run on %s: %w", e.name, err)
	}
	for _, o := range p.outs {
		slot := p.Values[o.value].Slot
		n := g.nodes[o.node]
		if a := n.outs[o.out].Value(); a != nil && a.node == n {
			a.materialize(slots[slot])
			slots[slot] = nil
		}
	}
	freeSlots()
	return nil
}

// readValues returns the plan's output values that are arrays of read.
func readValues(g *graph, read []*Array) []int {
	var vs []int
	for _, o := range g.plan.outs {
		n := g.nodes[o.node]
		if a := n.outs[o.out].Value(); a != nil && a.node == n && slices.Contains(read, a) {
			vs = append(vs, o.value)
		}
	}
	return vs
}

// execute hands p to the backend in one submission, or, when p has host
// steps (custom kernels the backend has no source for), in one submission
// per run of backend steps, with the host steps run in between. The
// values of read are copied to the host in the last submission where the
// backend can (ReadAhead), when a backend step ends the plan (every value
// is final then).
func (e *Engine) execute(p *Plan, bufs []Buffer, read []int) error {
	start := 0
	submit := func(end int, read []int) error {
		if end <= start {
			return nil
		}
		sub := p // the plan itself when it is one submission (Warm's, cached)
		if start > 0 || end < len(p.Steps) {
			part := *p
			part.Steps = p.Steps[start:end]
			sub = &part
		}
		e.submissions.Add(1)
		if ra, ok := e.b.(ReadAhead); ok && len(read) > 0 {
			return ra.RunRead(sub, bufs, read)
		}
		return e.b.Run(sub, bufs)
	}
	for i := range p.Steps {
		if !p.Steps[i].Host {
			continue
		}
		if err := submit(i, nil); err != nil {
			return err
		}
		if err := e.runHost(p, &p.Steps[i], bufs); err != nil {
			return err
		}
		start = i + 1
	}
	return submit(len(p.Steps), read)
}

// runHost runs a custom kernel's Go function on copies of its buffers.
func (e *Engine) runHost(p *Plan, s *Step, bufs []Buffer) error {
	k := s.Attrs.Kernel
	args := &KernelArgs{Params: s.Attrs.Params}
	for _, v := range s.In {
		h := HostArray{Value: p.Values[v], Data: alignedBytes(p.Values[v].Bytes())}
		if err := e.b.Read(bufs[v], 0, h.Data); err != nil {
			return fmt.Errorf("engine: kernel %s: read input: %w", k.Name(), err)
		}
		args.In = append(args.In, h)
	}
	for _, v := range s.Out {
		args.Out = append(args.Out, HostArray{Value: p.Values[v], Data: alignedBytes(p.Values[v].Bytes())})
	}
	if err := k.spec.Go(args); err != nil {
		return fmt.Errorf("engine: kernel %s (on the host): %w", k.Name(), err)
	}
	for i, v := range s.Out {
		if err := e.b.Write(bufs[v], 0, args.Out[i].Data); err != nil {
			return fmt.Errorf("engine: kernel %s: write output: %w", k.Name(), err)
		}
	}
	return nil
}

// alignedBytes returns n zeroed bytes aligned for any element type.
func alignedBytes(n int) []byte {
	w := make([]uint64, (n+7)/8)
	return unsafe.Slice((*byte)(unsafe.Pointer(&w[0])), n)
}
