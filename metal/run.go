package metal

import (
	"fmt"

	"github.com/silica-go/silica/engine"
)

// batch is one plan being encoded: its launches in order, the scratch
// buffers its steps use, and the status buffers to check after the run.
type batch struct {
	m        *Backend
	p        *engine.Plan
	bufs     []engine.Buffer
	launches []launch
	scratch  []engine.Buffer
	status   []statusCheck
	hz       *hazards
	// step and s are the step being lowered (its index in p.Steps).
	step int
	s    *engine.Step
	// unwritten holds the current step's output buffers that no launch
	// of the step has written yet (see launch.firstWrites).
	unwritten map[devBuffer]bool
}

// statusCheck is a status buffer a step's kernels write bad input into.
type statusCheck struct {
	step int
	buf  *buffer
}

// Run executes every step of p, in order, as one Metal command buffer:
// each step is lowered to its kernels' launches by the op's family file
// (the kernel's own source for OpCustom), pipelines are compiled on
// first use and cached, buffers are bound where the manifest says, memory
// barriers are placed where a launch depends on an earlier one, and the
// command buffer is committed and waited on. A step with no kernel is an
// error wrapping engine.ErrUnsupported naming it; a gather index out of
// range is an error wrapping engine.ErrIndexOutOfRange.
func (m *Backend) Run(p *engine.Plan, bufs []engine.Buffer) error {
	m.mu.Lock()
	closed := m.closed
	m.mu.Unlock()
	if closed {
		return errClosed
	}
	b := &batch{m: m, p: p, bufs: bufs, hz: newHazards()}
	defer func() {
		for _, s := range b.scratch {
			m.Free(s)
		}
	}()
	for i := range p.Steps {
		s := &p.Steps[i]
		b.unwritten = map[devBuffer]bool{}
		for _, v := range s.Out {
			if d, err := b.value(v); err == nil {
				b.unwritten[d] = true
			}
		}
		if err := m.lower(b, i, s); err != nil {
			return fmt.Errorf("metal: step %d %s: %w", i, engine.DescribeStep(s), err)
		}
	}
	if err := m.dev.run(b.launches); err != nil {
		return err
	}
	for _, st := range b.status {
		if err := checkStatus(st.buf.data()); err != nil {
			return fmt.Errorf("metal: step %d %s: %w", st.step, engine.DescribeStep(&p.Steps[st.step]), err)
		}
	}
	return nil
}

// add appends a launch, with a barrier before it when it depends on a
// launch since the last barrier.
func (b *batch) add(l launch) {
	var reads, writes []devBuffer
	for _, x := range l.binds {
		switch {
		case x.buf == nil:
		case x.write:
			writes = append(writes, x.buf)
			if b.unwritten[x.buf] {
				l.firstWrites = append(l.firstWrites, x.buf)
				delete(b.unwritten, x.buf)
			}
		default:
			reads = append(reads, x.buf)
		}
	}
	l.barrier = b.hz.next(reads, writes)
	b.launches = append(b.launches, l)
}

// value returns the device buffer of plan value v.
func (b *batch) value(v int) (devBuffer, error) {
	if v < 0 || v >= len(b.bufs) {
		return nil, fmt.Errorf("value %d outside the plan's %d buffers", v, len(b.bufs))
	}
	buf, ok := b.bufs[v].(*buffer)
	if !ok || buf == nil || buf.dev == nil {
		return nil, fmt.Errorf("value %d (%s) has no live metal buffer", v, b.p.Values[v])
	}
	if need := b.p.Values[v].Bytes(); buf.n < need {
		return nil, fmt.Errorf("value %d (%s) needs %d bytes, its buffer has %d", v, b.p.Values[v], need, buf.n)
	}
	return buf.dev, nil
}

// pipelineFor returns the pipeline of function fn in the library compiled
// from source (source is called only on a cache miss). libKey names the
// library in the cache and in errors; a failed compile is cached too, so
// a broken kernel fails fast on every later run.
func (m *Backend) pipelineFor(libKey string, source func() (string, error), fn string) (pipeline, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	key := libKey + "\x00" + fn
	if p, ok := m.pipelines[key]; ok {
		return p, nil
	}
	if err, ok := m.failed[key]; ok {
		return nil, err
	}
	lib, ok := m.libraries[libKey]
	if !ok {
		if err, bad := m.failed[libKey]; bad {
			return nil, err
		}
		src, err := source()
		if err == nil {
			lib, err = m.dev.library(libKey, src)
		}
		if err != nil {
			m.failed[libKey] = err
			return nil, err
		}
		m.libraries[libKey] = lib
	}
	p, err := m.dev.pipeline(lib, fn)
	if err != nil {
		m.failed[key] = err
		return nil, err
	}
	m.pipelines[key] = p
	return p, nil
}
