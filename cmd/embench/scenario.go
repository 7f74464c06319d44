package main

import (
	"fmt"
	"slices"
	"strings"

	"github.com/silica-go/silica/engine"
)

// A group is scenarios that share inputs (one operation of the seed's
// table, or the store at one dtype). Each backend runs all of a group's
// cases before the next backend starts, and the group's host data lives
// only while it runs.
type group struct {
	Name   string    // "seed" or "store": the table the cases belong to
	Inputs []*tensor // host inputs, also handed to the Python peers
	Cases  []*caseDef

	// Setup, if set, makes the group's state on an engine (the store's
	// stored rows) before its cases run; free releases it.
	Setup func(e *engine.Engine) (state any, free func(), err error)

	// Fresh runs the group on a newly opened engine of each backend,
	// closed afterwards: the memory the group measures is then not hidden
	// by buffers that earlier groups left in a backend's pool, and the
	// large buffers it pools are released with it.
	Fresh bool

	// Reference computes what the cases' Check functions compare against,
	// on the CPU reference engine, and checks that against float64 sums
	// of the inputs. An error means the reference itself is wrong: no case
	// of the group can be verified.
	Reference func(ref *engine.Engine) error

	// Peer is the group's description for peers.py ("seed", "store_add",
	// "store_search"), with its parameters; PeerSkip says why a peer does
	// not run the group ("" when it does).
	Peer       string
	PeerParams map[string]any
	PeerSkip   func(peer string) string

	// Texts are the group's text inputs by name (the encode scenarios),
	// handed to the peers as JSON files.
	Texts map[string][]string
	// BackendSkip, if set, says why an engine backend does not run the
	// group ("" when it does).
	BackendSkip func(be *openBackend) string
	// Unavailable, if set, says why the group cannot run here (it has no
	// cases): the report lists it as not measured.
	Unavailable string
}

// caseDef is one row of the tables: a scenario at one dtype and size.
type caseDef struct {
	Scenario string
	DType    engine.DType
	Size     string
	Queries  int   // queries answered by one run (search cases), for queries/s
	Few      bool  // one run is expensive: three samples, no extra warm-up
	Stored   int64 // store cases: the bytes of the rows as stored
	Texts    int   // encode cases: the texts encoded by one run
	Tokens   int   // and their tokens
	// Layout is how a store search case spreads its rows (zero: one store
	// on the engine's device).
	Layout layout

	// Prepare sets the case up on e, given the group's state.
	Prepare func(e *engine.Engine, state any) (*prepared, error)
	// Kernel, if set, sets up the kernel-only form of the case on an
	// engine backend (the store's searches on Silica's own backends: the
	// engine's scan alone, on arrays already on the device), verified by
	// Check and timed beside the case's own time, in the same row. A nil
	// prepared case means none on this backend.
	Kernel func(e *engine.Engine, state any) (*prepared, error)
	// Check compares outputs (from a backend or a peer) with the
	// reference; an error says what is wrong.
	Check func(out []tensor) error

	// Label, if set, is shown as the dtype (the binary scenario's codes).
	Label string
	// Recall, if set, measures a verified answer's quality: recall@10
	// against the exact float32 search.
	Recall func(out []tensor) float64
	// Cosine, if set, is a verified encode answer's lowest cosine with
	// the reference's embedding.
	Cosine func(out []tensor) float64

	PeerOp     string         // the op peers.py runs
	PeerParams map[string]any // and its parameters
}

// prepared is a case set up on one engine.
type prepared struct {
	// run does one timed repetition: build the graph, evaluate it, wait
	// for the device, read back what the case's latency includes, free.
	run func(rep int) error
	// output does one evaluation and returns the results on the host.
	output func() ([]tensor, error)
	// plan describes the steps the engine runs, e.g. "scan_topk(dot normA k=100)".
	plan string
	// host is set when the plan runs a custom kernel's Go function on
	// the host: the backend has no source for it (engine.Step.Host).
	host bool
	// free releases the case's inputs.
	free func()
	// extra, if set, returns what the timed runs recorded of their parts
	// (encode_store).
	extra func() *pipelineStats
}

// graphCase makes the usual prepared case: build makes the output arrays
// of repetition rep from inputs already on e; the repetition evaluates
// them, synchronizes, reads them back when readBack, and frees them.
// rotate > 1 makes output() evaluate repetitions 0 to rotate-1 and stack
// their outputs (cases that cycle through several queries).
func graphCase(e *engine.Engine, build func(rep int) ([]*engine.Array, error), readBack bool, rotate int, free func()) (*prepared, error) {
	once := func(rep int, read bool) ([]tensor, error) {
		outs, err := build(rep)
		if err != nil {
			return nil, err
		}
		defer func() {
			for _, a := range outs {
				a.Free()
			}
		}()
		if err := e.Eval(outs...); err != nil {
			return nil, err
		}
		if err := e.Synchronize(); err != nil {
			return nil, err
		}
		if !read {
			return nil, nil
		}
		res := make([]tensor, len(outs))
		for i, a := range outs {
			if res[i], err = download(a); err != nil {
				return nil, err
			}
		}
		return res, nil
	}
	outs, err := build(0)
	if err != nil {
		return nil, err
	}
	plan, err := e.Explain(outs...)
	if err != nil {
		return nil, err
	}
	p := &prepared{
		run:  func(rep int) error { _, err := once(rep, readBack); return err },
		plan: describePlan(plan),
		host: hostSteps(plan),
		free: free,
	}
	p.output = func() ([]tensor, error) {
		if rotate <= 1 {
			return once(0, true)
		}
		var all []tensor
		for rep := range rotate {
			res, err := once(rep, true)
			if err != nil {
				return nil, err
			}
			all = stack(all, res)
		}
		return all, nil
	}
	return p, nil
}

// stack appends the rows of each tensor of b to the tensor of acc at the
// same position.
func stack(acc, b []tensor) []tensor {
	if acc == nil {
		return b
	}
	for i := range acc {
		acc[i].F32 = append(acc[i].F32, b[i].F32...)
		acc[i].I64 = append(acc[i].I64, b[i].I64...)
		acc[i].Shape[0] += b[i].Shape[0]
	}
	return acc
}

// describePlan lists a plan's steps, e.g. "normalize + scan_topk(dot normA k=100 largest=true)".
func describePlan(p *engine.Plan) string {
	if p == nil {
		return ""
	}
	steps := make([]string, len(p.Steps))
	for i := range p.Steps {
		steps[i] = engine.DescribeStep(&p.Steps[i])
	}
	return strings.Join(steps, " + ")
}

// hostSteps reports whether a plan has a step the engine runs on the
// host.
func hostSteps(p *engine.Plan) bool {
	return p != nil && slices.ContainsFunc(p.Steps, func(s engine.Step) bool { return s.Host })
}

// uploadAll puts host tensors on e as dtype dt; free releases them.
func uploadAll(e *engine.Engine, dt engine.DType, ts ...*tensor) (arrays []*engine.Array, free func(), err error) {
	free = func() {
		for _, a := range arrays {
			a.Free()
		}
	}
	for _, t := range ts {
		a, err := t.upload(e, dt)
		if err != nil {
			free()
			return nil, nil, fmt.Errorf("upload %s: %w", t, err)
		}
		arrays = append(arrays, a)
	}
	return arrays, free, nil
}

// groups returns the constructors of every group the configuration
// selects, in the order they run. A constructor makes the group's host
// data, so that only one group's data is in memory at a time.
func groups(c *config) []func() *group {
	var out []func() *group
	for _, s := range seedScenarios {
		if c.selected("seed", s.name) {
			out = append(out, func() *group { return seedGroup(c, s) })
		}
	}
	for _, dt := range c.DTypes {
		if c.selected("store", "store_add") {
			out = append(out, func() *group { return storeAddGroup(c, dt) })
		}
		if c.selectedSearch() {
			for _, lay := range c.layouts() {
				out = append(out, func() *group { return storeSearchGroup(c, dt, lay) })
			}
		}
	}
	if c.selected("store", "binary_search_1") {
		out = append(out, func() *group { return binaryGroup(c) })
	}
	for _, dt := range c.DTypes {
		if c.selected(encoderTable, "encode") {
			out = append(out, func() *group { return encodeGroup(c, dt) })
		}
		if c.selected(encoderTable, "encode_store") {
			out = append(out, func() *group { return encodeStoreGroup(c, dt) })
		}
	}
	return out
}
