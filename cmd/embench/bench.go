package main

import (
	"fmt"
	"runtime/debug"
	"slices"
	"time"

	"github.com/silica-go/silica/engine"
)

// bench runs the groups on every backend and peer and collects a Report.
type bench struct {
	cfg      *config
	backends []*openBackend
	py       *python              // the interpreter of the peers, nil without
	peers    []string             // the Python peers that run
	procs    map[string]*peerProc // a running peers.py for each: two libraries' thread pools never share a process
	rep      *Report
	prog     *progress
}

// run runs every selected group in turn.
func (b *bench) run() {
	makers := groups(b.cfg)
	for i, mk := range makers {
		b.prog.group = fmt.Sprintf("%d/%d", i+1, len(makers))
		b.prog.show("making inputs")
		g := mk()
		if g.Unavailable != "" {
			b.unavailable(g.Name+" scenarios", g.Unavailable)
			continue
		}
		if len(g.Cases) == 0 {
			continue
		}
		b.runGroup(g)
	}
	b.prog.clear()
}

// unavailable lists what cannot run here, once per name.
func (b *bench) unavailable(name, why string) {
	live.Lock()
	defer live.Unlock()
	if !slices.ContainsFunc(b.rep.Unavailable, func(m Missing) bool { return m.Name == name }) {
		b.rep.Unavailable = append(b.rep.Unavailable, Missing{name, why})
	}
}

func (b *bench) runGroup(g *group) {
	b.prog.show("%s: computing the CPU reference", g.Cases[0].Scenario)
	var refErr error
	if err := b.reference(g); err != nil {
		refErr = fmt.Errorf("the CPU reference failed its float64 check, so nothing can be verified: %w", err)
	}
	for _, be := range b.backends {
		b.engineGroup(be, g, refErr)
	}
	for _, peer := range b.peers {
		b.peerGroup(peer, g, refErr)
	}
	if b.py != nil && g.Name == "seed" { // the store's and encoder's inputs serve every dtype
		b.py.forget(g.Inputs)
	}
}

// reference computes a group's reference on a CPU engine of its own,
// closed afterwards, so that no buffer it pooled outlives the group.
func (b *bench) reference(g *group) error {
	defer debug.FreeOSMemory()
	ref, err := engine.Open(referenceBackend)
	if err != nil {
		return err
	}
	defer ref.Close()
	return g.Reference(ref)
}

// newResult starts the result of case c on a backend or peer.
func newResult(c *caseDef, backend, runner string) Result {
	r := Result{Scenario: c.Scenario, Backend: backend, DType: c.DType.String(), Size: c.Size, Runner: runner}
	if c.Label != "" {
		r.DType = c.Label
	}
	if c.Stored > 0 {
		r.StoredBytes = &c.Stored
	}
	if !c.Layout.plain() {
		r.Devices, r.Shards = c.Layout.Devices, c.Layout.Shards
	}
	return r
}

// fail records a case that could not run (status error) or gave a wrong
// answer (status wrong): no times.
func (b *bench) fail(r Result, status string, err error) {
	r.Status, r.Error, r.Verified = status, err.Error(), false
	r.Reps, r.MedianMS, r.P99MS, r.MinMS, r.MaxMS, r.IQRMS, r.QueriesPerS = 0, nil, nil, nil, nil, nil, nil
	r.KernelMS, r.KernelP99MS, r.KernelReps = nil, nil, 0
	r.DocsPerS, r.TokensPerS, r.AddMS, r.SearchMS, r.SearchP99MS, r.PeakBytes = nil, nil, nil, nil, nil, nil
	live.Lock()
	b.rep.Results = append(b.rep.Results, r)
	live.Unlock()
}

func (b *bench) policy(c *caseDef) policy {
	if c.Few {
		return b.cfg.Policy.few()
	}
	return b.cfg.Policy
}

// engineGroup runs a group's cases on one engine backend.
func (b *bench) engineGroup(be *openBackend, g *group, refErr error) {
	// Last of all: what this backend left behind (a closed engine, host
	// copies made while uploading) goes back to the system before the next
	// one runs.
	defer debug.FreeOSMemory()
	if g.BackendSkip != nil {
		if why := g.BackendSkip(be); why != "" {
			for _, c := range g.Cases {
				live.Lock()
				b.rep.Skipped = append(b.rep.Skipped, Skip{c.Scenario, be.name, c.DType.String(), why})
				live.Unlock()
			}
			return
		}
	}
	if g.Fresh {
		fresh, err := engine.Open(be.name)
		if err != nil {
			for _, c := range g.Cases {
				b.fail(newResult(c, be.name, "engine"), statusError, fmt.Errorf("reopen: %w", err))
			}
			return
		}
		defer fresh.Close()
		be = &openBackend{name: be.name, e: fresh, info: be.info}
	}
	var state any
	if g.Setup != nil {
		b.prog.show("%s on %s: setting up", g.Cases[0].Scenario, be.name)
		st, free, err := g.Setup(be.e)
		if err != nil {
			for _, c := range g.Cases {
				b.fail(newResult(c, be.name, "engine"), statusError, fmt.Errorf("set-up: %w", err))
			}
			return
		}
		defer free()
		state = st
	}
	for _, c := range g.Cases {
		b.engineCase(be, c, state, refErr)
	}
}

// engineCase verifies one case on one backend and, only if the answer is
// right, times it.
func (b *bench) engineCase(be *openBackend, c *caseDef, state any, refErr error) {
	r := newResult(c, be.name, "engine")
	if st, ok := state.(*storeState); ok {
		r.ResidentBytes, r.DeviceBytes = &st.resident, &st.device
		if st.device < 0 {
			r.DeviceBytes = nil
		}
	}
	if refErr != nil {
		b.fail(r, statusError, refErr)
		return
	}
	b.prog.show("%s %s %s on %s: preparing", c.Scenario, c.DType, c.Size, be.name)
	p, err := c.Prepare(be.e, state)
	if err != nil {
		b.fail(r, statusError, err)
		return
	}
	defer p.free()
	r.Plan, r.HostFallback = p.plan, p.host
	status, err := b.verifyThenTime(&r, c, p.output, func(verified time.Duration) ([]float64, error) {
		samples, err := measure(b.policy(c), verified, p.run)
		return millis(samples), err
	})
	if err == nil && c.Kernel != nil {
		status, err = b.kernelTime(be, c, state, &r)
	}
	if err == nil && p.extra != nil {
		r.setPipeline(p.extra(), c.Texts)
	}
	if err != nil {
		b.fail(r, status, err)
		return
	}
	b.record(r)
}

// kernelTime verifies and times the kernel-only form of case c on one
// backend, into the kernel fields of r. A failure is the row's: the
// status and error to record it with.
func (b *bench) kernelTime(be *openBackend, c *caseDef, state any, r *Result) (string, error) {
	p, err := c.Kernel(be.e, state)
	if err != nil {
		return statusError, fmt.Errorf("kernel only: %w", err)
	}
	if p == nil {
		return statusOK, nil
	}
	defer p.free()
	kr := Result{Backend: r.Backend + " (kernel only)"}
	status, err := b.verifyThenTime(&kr, c, p.output, func(verified time.Duration) ([]float64, error) {
		samples, err := measure(b.policy(c), verified, p.run)
		return millis(samples), err
	})
	if err != nil {
		return status, fmt.Errorf("kernel only: %w", err)
	}
	r.KernelMS, r.KernelP99MS, r.KernelReps = kr.MedianMS, kr.P99MS, kr.Reps
	r.KernelPlan = p.plan
	return statusOK, nil
}

// verifyThenTime is the rule of every case: run it once, check the answer
// against the reference, and only if it is right time it into r. output
// runs the case once; timing runs the timing loop, given how long output
// took. A failure comes back as the status and error to record.
func (b *bench) verifyThenTime(r *Result, c *caseDef, output func() ([]tensor, error), timing func(verified time.Duration) ([]float64, error)) (string, error) {
	b.prog.show("%s %s %s on %s: verifying", c.Scenario, c.DType, c.Size, r.Backend)
	t0 := time.Now()
	out, err := output()
	verified := time.Since(t0)
	if err != nil {
		return statusError, err
	}
	if err := c.Check(out); err != nil {
		return statusWrong, fmt.Errorf("wrong answer, not timed: %w", err)
	}
	r.Verified = true
	if c.Recall != nil {
		v := c.Recall(out)
		r.RecallAt10 = &v
	}
	if c.Cosine != nil {
		v := c.Cosine(out)
		r.MinCosine = &v
	}
	b.prog.show("%s %s %s on %s: timing", c.Scenario, c.DType, c.Size, r.Backend)
	ms, err := timing(verified)
	if err != nil {
		return statusError, fmt.Errorf("failed while timing: %w", err)
	}
	r.Status = statusOK
	r.setTimes(ms, c.Queries)
	r.setRates(c)
	return statusOK, nil
}

// record adds a verified and timed result to the report.
func (b *bench) record(r Result) {
	live.Lock()
	b.rep.Results = append(b.rep.Results, r)
	live.Unlock()
}

// peerGroup runs a group's cases in one Python peer, with the same rule:
// the answer is checked before it is timed.
func (b *bench) peerGroup(peer string, g *group, refErr error) {
	if why := g.PeerSkip(peer); why != "" {
		for _, c := range g.Cases {
			live.Lock()
			b.rep.Skipped = append(b.rep.Skipped, Skip{c.Scenario, peer, c.DType.String(), why})
			live.Unlock()
		}
		return
	}
	b.prog.show("%s on %s: loading inputs", g.Cases[0].Scenario, peer)
	proc := b.procs[peer]
	ga, err := proc.group(peer, g)
	defer proc.release()
	if err != nil {
		for _, c := range g.Cases {
			b.fail(newResult(c, peer, "python"), statusError, err)
		}
		return
	}
	for _, c := range g.Cases {
		r := newResult(c, peer, "python")
		if g.Setup != nil && ga.ResidentBytes > 0 {
			r.ResidentBytes = &ga.ResidentBytes
		}
		if g.Setup != nil && ga.DeviceBytes > 0 {
			r.DeviceBytes = &ga.DeviceBytes
		}
		if refErr != nil {
			b.fail(r, statusError, refErr)
			continue
		}
		var extra *pipelineStats
		status, err := b.verifyThenTime(&r, c, func() ([]tensor, error) { return proc.output(c) }, func(verified time.Duration) ([]float64, error) {
			ms, x, err := proc.time(c, b.policy(c), verified)
			extra = x
			return ms, err
		})
		if err != nil {
			b.fail(r, status, err)
			continue
		}
		r.setPipeline(extra, c.Texts)
		b.record(r)
	}
}
