package engine

import (
	"fmt"
	"sort"
)

// The scheduler turns a graph into a Plan: values and nodes in topological
// order (the graph walk in prepare), the numbered fusion passes of fuse.go,
// dead-node removal, a capability check of every step, and buffer slots
// assigned by liveness so that intermediates reuse freed buffers.

// irNode is a node of the graph being scheduled.
type irNode struct {
	op    Op
	attrs Attrs
	in    []int // value ids
	out   []int // value ids
	dead  bool
}

// ir is the graph being scheduled: values (inputs first) and nodes.
type ir struct {
	vals     []Value
	prod     []int  // node producing each value, -1 for inputs
	external []bool // the value leaves the plan (an output)
	nodes    []*irNode
	caps     Capabilities
}

// uses counts the live nodes reading value v.
func (g *ir) uses(v int) int {
	n := 0
	for _, nd := range g.nodes {
		if nd.dead {
			continue
		}
		for _, x := range nd.in {
			if x == v {
				n++
			}
		}
	}
	return n
}

// private reports whether value v is read by exactly one live node and is
// not an output, so that a fusion may absorb the node producing it.
func (g *ir) private(v int) bool { return !g.external[v] && g.uses(v) == 1 }

// producer returns the live node producing v, or nil for an input.
func (g *ir) producer(v int) *irNode {
	if p := g.prod[v]; p >= 0 && !g.nodes[p].dead {
		return g.nodes[p]
	}
	return nil
}

func (g *ir) supports(op Op, attrs *Attrs, in []int) bool {
	if g.caps == nil {
		return false
	}
	vals := make([]Value, len(in))
	for i, v := range in {
		vals[i] = g.vals[v]
	}
	return g.caps.Supports(op, attrs, vals)
}

// buildPlan schedules g, whose requested outputs are the nodes at the
// positions in targets.
func (e *Engine) buildPlan(gr *graph, targets []int) (*Plan, error) {
	g := &ir{caps: e.caps}
	for _, a := range gr.leaves {
		g.vals = append(g.vals, Value{Shape: a.shape, DType: a.dtype, Slot: -1})
		g.prod = append(g.prod, -1)
	}
	leafID := map[*Array]int{}
	for i, a := range gr.leaves {
		leafID[a] = i
	}
	outIDs := make([][]int, len(gr.nodes))
	nodePos := make(map[*node]int, len(gr.nodes))
	for pos, n := range gr.nodes {
		nodePos[n] = pos
	}
	for pos, n := range gr.nodes {
		if err := n.op.checkArity(len(n.inputs), len(n.types)); err != nil {
			return nil, err
		}
		nd := &irNode{op: n.op, attrs: n.attrs}
		for _, a := range n.inputs {
			if a.data != nil {
				nd.in = append(nd.in, leafID[a])
			} else {
				nd.in = append(nd.in, outIDs[nodePos[a.node]][a.out])
			}
		}
		for i := range n.types {
			id := len(g.vals)
			g.vals = append(g.vals, Value{Shape: n.types[i].shape, DType: n.types[i].dtype})
			g.prod = append(g.prod, pos)
			nd.out = append(nd.out, id)
			outIDs[pos] = append(outIDs[pos], id)
		}
		g.nodes = append(g.nodes, nd)
	}
	g.external = make([]bool, len(g.vals))
	var outs []planOut
	for _, pos := range targets {
		for i, v := range outIDs[pos] {
			if !g.external[v] {
				g.external[v] = true
				outs = append(outs, planOut{node: pos, out: i, value: v})
			}
		}
	}

	for _, pass := range fusionPasses {
		pass.run(g)
	}

	// Keep live nodes, then renumber the values they touch.
	p := &Plan{Backend: e.name}
	newID := make([]int, len(g.vals))
	for i := range newID {
		newID[i] = -1
	}
	addVal := func(v int) int {
		if newID[v] < 0 {
			newID[v] = len(p.Values)
			p.Values = append(p.Values, g.vals[v])
		}
		return newID[v]
	}
	for i := range gr.leaves {
		p.Inputs = append(p.Inputs, addVal(i))
	}
	for _, nd := range g.nodes {
		if nd.dead {
			continue
		}
		s := Step{Op: nd.op, Attrs: nd.attrs}
		switch {
		case nd.op == OpCustom:
			s.Host = !g.supports(nd.op, &nd.attrs, nd.in)
		case !nd.op.IsFused() && e.caps != nil && !g.supports(nd.op, &nd.attrs, nd.in):
			return nil, fmt.Errorf("%w: %s has no kernel for %s on %s", ErrUnsupported, e.name,
				DescribeStep(&Step{Op: nd.op, Attrs: nd.attrs}), describeVals(g, nd.in))
		}
		for _, v := range nd.in {
			s.In = append(s.In, addVal(v))
		}
		for _, v := range nd.out {
			s.Out = append(s.Out, addVal(v))
		}
		p.Steps = append(p.Steps, s)
	}
	for _, o := range outs {
		o.value = newID[o.value]
		p.Outputs = append(p.Outputs, o.value)
		p.outs = append(p.outs, o)
	}
	p.assignSlots()
	return p, nil
}

func describeVals(g *ir, ids []int) string {
	s := ""
	for i, v := range ids {
		if i > 0 {
			s += ", "
		}
		s += g.vals[v].String()
	}
	return s
}

// assignSlots gives every non-input value a buffer slot. Outputs get slots
// of their own; an intermediate takes the smallest free slot that fits
// (growing none), else a new one, and frees it after its last reader.
// A step's outputs never share a slot with its inputs.
func (p *Plan) assignSlots() {
	lastUse := make([]int, len(p.Values))
	for i := range lastUse {
		lastUse[i] = -1
	}
	for si, s := range p.Steps {
		for _, v := range s.In {
			lastUse[v] = si
		}
	}
	isOut := make([]bool, len(p.Values))
	for _, v := range p.Outputs {
		isOut[v] = true
	}
	var free []int // slot ids, kept sorted by size
	for si, s := range p.Steps {
		for _, v := range s.Out {
			need := p.Values[v].Bytes()
			if isOut[v] {
				p.Values[v].Slot = len(p.Slots)
				p.Slots = append(p.Slots, need)
				continue
			}
			j := sort.Search(len(free), func(i int) bool { return p.Slots[free[i]] >= need })
			if j < len(free) {
				p.Values[v].Slot = free[j]
				free = append(free[:j], free[j+1:]...)
			} else {
				p.Values[v].Slot = len(p.Slots)
				p.Slots = append(p.Slots, need)
			}
		}
		release := func(v int) {
			if isOut[v] || p.Values[v].Slot < 0 {
				return
			}
			slot := p.Values[v].Slot
			j := sort.Search(len(free), func(i int) bool { return p.Slots[free[i]] >= p.Slots[slot] })
			free = append(free, 0)
			copy(free[j+1:], free[j:])
			free[j] = slot
		}
		for i, v := range s.In {
			if lastUse[v] == si && indexOf(s.In, v) == i {
				release(v)
			}
		}
		for _, v := range s.Out {
			if lastUse[v] < 0 { // written, never read: free at once
				release(v)
			}
		}
	}
}

// indexOf returns the first position of v in ids (-1 if absent), so that a
// value read twice by one step is released once.
func indexOf(ids []int, v int) int {
	for i, x := range ids {
		if x == v {
			return i
		}
	}
	return -1
}
