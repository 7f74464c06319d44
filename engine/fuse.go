package engine

import "slices"

// Fusion passes, run in order by the scheduler. Each pass rewrites the
// graph only where the backend's Capabilities.Supports accepts the fused
// step, and only absorbs a node whose output no one else reads and that
// is not an output of the plan.
// A pass takes only ops whose row of the op table names it (OpInfo.Fusion:
// FuseScan, FuseNormMatMul, FuseChain, FuseEpilogue for passes 1 to 4).
var fusionPasses = []struct {
	name string
	run  func(*ir)
}{
	{"1 scores->topk into a fused scan", fuseScan},
	{"2 normalize->matmul into a fused cosine", fuseNormMatMul},
	{"3 element-wise chains into one kernel", fuseElementwise},
	{"4 matmul -> element-wise epilogue into one product", fuseEpilogue},
}

// absorbable returns the producer of v if pass f may absorb it: its op's
// table row names f and no one else reads v.
func (g *ir) absorbable(v int, f Fusion) *irNode {
	if nd := g.producer(v); nd != nil && nd.op.FusedBy(f) && g.private(v) {
		return nd
	}
	return nil
}

// operands is a matmul's pair of operands after peeling the ops a fused
// kernel can do on the fly: Normalize on either side, Dequantize on the
// second (the stored rows).
type operands struct {
	in           []int     // a, b, and the scales when quantized
	normA, normB bool      // a Normalize was peeled
	quant        bool      // a Dequantize was peeled
	absorbed     []*irNode // the peeled nodes
}

// peel looks through Normalize (either side) and Dequantize (second side)
// producers of a and b, for pass f.
func (g *ir) peel(a, b int, f Fusion) operands {
	o := operands{}
	if nd := g.absorbable(a, f); nd != nil && nd.op == OpNormalize && len(g.vals[nd.in[0]].Shape) == 2 {
		o.normA, a = true, nd.in[0]
		o.absorbed = append(o.absorbed, nd)
	}
	if nd := g.absorbable(b, f); nd != nil && nd.op == OpNormalize && len(g.vals[nd.in[0]].Shape) == 2 {
		o.normB, b = true, nd.in[0]
		o.absorbed = append(o.absorbed, nd)
	}
	o.in = []int{a, b}
	if nd := g.absorbable(b, f); nd != nil && nd.op == OpDequantize {
		o.quant = true
		o.in = []int{a, nd.in[0], nd.in[1]}
		o.absorbed = append(o.absorbed, nd)
	}
	return o
}

// replace puts a fused node in place of nd (keeping topological order) and
// marks the absorbed nodes dead.
func (g *ir) replace(nd *irNode, op Op, attrs Attrs, in []int, absorbed ...*irNode) {
	for _, x := range absorbed {
		x.dead = true
	}
	nd.op, nd.attrs, nd.in = op, attrs, in
	for _, v := range nd.out {
		g.prod[v] = indexOfNode(g.nodes, nd)
	}
}

func indexOfNode(nodes []*irNode, nd *irNode) int {
	for i, x := range nodes {
		if x == nd {
			return i
		}
	}
	return -1
}

// fuseScan (pass 1): TopK over the scores of MatMul(a, bᵀ) (through
// Normalize and Dequantize) or of L2Distance(a, b), optionally through a
// MaskRows of the TopK's order, becomes one OpScanTopK (with Attrs.Mask
// and the bitmap as its last input), which never writes the [m, n] score
// matrix.
func fuseScan(g *ir) {
	for _, nd := range g.nodes {
		if nd.dead || nd.op != OpTopK || !nd.op.FusedBy(FuseScan) || len(g.vals[nd.in[0]].Shape) != 2 {
			continue
		}
		src := g.absorbable(nd.in[0], FuseScan)
		if src == nil {
			continue
		}
		attrs := Attrs{K: nd.attrs.K, Largest: nd.attrs.Largest}
		var mask *irNode
		if src.op == OpMaskRows {
			if src.attrs.Largest != nd.attrs.Largest {
				continue // failing rows ranked first: not a scan we have
			}
			if mask, src = src, g.absorbable(src.in[0], FuseScan); src == nil {
				continue
			}
			attrs.Mask = true
		}
		switch {
		case src.op == OpMatMul && !src.attrs.TransA && src.attrs.TransB:
			attrs.Metric = MetricDot
		case src.op == OpL2Distance:
			attrs.Metric = MetricL2
		default:
			continue
		}
		o := g.peel(src.in[0], src.in[1], FuseScan)
		if attrs.Metric == MetricL2 && (o.normA || o.normB) {
			o = operands{in: src.in[:2]} // an L2 scan over normalized rows is not a kernel we have
		}
		full := attrs
		full.NormA, full.NormB, full.Quantize = o.normA, o.normB, o.quant
		in, plain, absorbed := o.in, slices.Clone(src.in[:2]), []*irNode{src}
		if mask != nil {
			in = append(in, mask.in[1])
			plain = append(plain, mask.in[1])
			absorbed = append(absorbed, mask)
		}
		switch {
		case g.supports(OpScanTopK, &full, in):
			g.replace(nd, OpScanTopK, full, in, append(o.absorbed, absorbed...)...)
		case len(o.absorbed) > 0 && g.supports(OpScanTopK, &attrs, plain):
			g.replace(nd, OpScanTopK, attrs, plain, absorbed...)
		}
	}
}

// fuseNormMatMul (pass 2): MatMul(Normalize(a), Normalize(b)ᵀ) (either
// normalization, or a Dequantize of b) becomes one OpNormMatMul.
func fuseNormMatMul(g *ir) {
	for _, nd := range g.nodes {
		if nd.dead || nd.op != OpMatMul || !nd.op.FusedBy(FuseNormMatMul) || nd.attrs.TransA || !nd.attrs.TransB {
			continue
		}
		o := g.peel(nd.in[0], nd.in[1], FuseNormMatMul)
		if len(o.absorbed) == 0 {
			continue
		}
		attrs := Attrs{NormA: o.normA, NormB: o.normB, Quantize: o.quant}
		if g.supports(OpNormMatMul, &attrs, o.in) {
			g.replace(nd, OpNormMatMul, attrs, o.in, o.absorbed...)
		}
	}
}

// fuseElementwise (pass 3): every maximal tree of element-wise nodes whose
// inner values are read only inside it becomes one OpFusedElementwise
// running a Program. An inner value may have several readers in the
// group (GELU reads x twice: x/2 and erf(x/sqrt 2)); it is computed once,
// in one register. Broadcasting composes, so inner values of smaller
// shapes are recomputed per output element rather than stored;
// intermediates keep float32 precision instead of being rounded to a
// 16-bit dtype.
func fuseElementwise(g *ir) {
	consumer := func(v int) *irNode {
		for _, nd := range g.nodes {
			if !nd.dead && indexOf(nd.in, v) >= 0 {
				return nd
			}
		}
		return nil
	}
	for i := len(g.nodes) - 1; i >= 0; i-- {
		root := g.nodes[i]
		if root.dead || !root.op.FusedBy(FuseChain) {
			continue
		}
		if v := root.out[0]; g.private(v) {
			if c := consumer(v); c != nil && c.op.FusedBy(FuseChain) {
				continue // not a root: it will be absorbed by its reader
			}
		}
		group := g.chainFrom(root)
		if len(group) < 2 {
			continue
		}
		prog, in := buildProgram(g, group)
		attrs := Attrs{Program: prog}
		if g.supports(OpFusedElementwise, &attrs, in) {
			g.replace(root, OpFusedElementwise, attrs, in, group[1:]...)
		}
	}
}

// chainFrom returns root and the element-wise nodes it can absorb: a
// producer of a value the group reads joins when every live reader of
// that value is in the group and the value is not an output, until no
// more join.
func (g *ir) chainFrom(root *irNode) []*irNode {
	group := []*irNode{root}
	inGroup := func(v int) bool {
		for _, nd := range g.nodes {
			if !nd.dead && indexOf(nd.in, v) >= 0 && !contains(group, nd) {
				return false
			}
		}
		return true
	}
	for grew := true; grew; {
		grew = false
		for j := 0; j < len(group); j++ {
			for _, v := range group[j].in {
				p := g.producer(v)
				if p == nil || !p.op.FusedBy(FuseChain) || contains(group, p) || g.external[v] || !inGroup(v) {
					continue
				}
				group = append(group, p)
				grew = true
			}
		}
	}
	return group
}

// fuseEpilogue (pass 4): an element-wise step (a single op or a chain of
// pass 3) that reads the product of a MatMul no one else reads becomes
// one OpMatMulEpilogue: the product's operands, then the step's other
// inputs, with the step's program renumbered so that register 0 is the
// product. The step's output must have the product's shape, so that the
// program runs once per element of the product (a bias add, a residual
// add, bias+GELU as the product is written).
func fuseEpilogue(g *ir) {
	for _, nd := range g.nodes {
		if nd.dead || !(nd.op.IsElementwise() || nd.op == OpFusedElementwise) {
			continue
		}
		for _, v := range nd.in {
			mm := g.absorbable(v, FuseEpilogue)
			if mm == nil || mm.op != OpMatMul || !g.vals[nd.out[0]].Shape.Equal(g.vals[v].Shape) {
				continue
			}
			prog, in := epilogueProgram(nd, v)
			attrs := Attrs{TransA: mm.attrs.TransA, TransB: mm.attrs.TransB, Program: prog}
			in = append(slices.Clone(mm.in), in...)
			if g.supports(OpMatMulEpilogue, &attrs, in) {
				g.replace(nd, OpMatMulEpilogue, attrs, in, mm)
				break
			}
		}
	}
}

// epilogueProgram returns the program of the element-wise node nd
// renumbered so that value v (one of its inputs) is register 0, and the
// node's other inputs in the order of their registers 1...
func epilogueProgram(nd *irNode, v int) (*Program, []int) {
	prog := &Program{NumInputs: len(nd.in), Instrs: []Instr{{Op: nd.op, Scalar: nd.attrs.Scalar}}}
	if nd.op == OpFusedElementwise {
		prog = nd.attrs.Program
	} else {
		for j := range nd.in {
			prog.Instrs[0].Args[j] = j
		}
	}
	// reg maps the old register numbers to the new: v's to 0, the other
	// inputs' in order from 1, the instructions' unchanged (the number of
	// inputs is the same).
	p := indexOf(nd.in, v)
	reg := func(r int) int {
		switch {
		case r == p:
			return 0
		case r < p:
			return r + 1
		}
		return r
	}
	out := &Program{NumInputs: prog.NumInputs}
	for _, ins := range prog.Instrs {
		for j := range ins.Args {
			ins.Args[j] = reg(ins.Args[j])
		}
		out.Instrs = append(out.Instrs, ins)
	}
	rest := append(slices.Clone(nd.in[:p]), nd.in[p+1:]...)
	return out, rest
}

func contains(nodes []*irNode, nd *irNode) bool { return indexOfNode(nodes, nd) >= 0 }

// buildProgram orders a group topologically and numbers its registers.
func buildProgram(g *ir, group []*irNode) (*Program, []int) {
	ordered := make([]*irNode, 0, len(group))
	for _, nd := range g.nodes { // g.nodes is topological
		if contains(group, nd) {
			ordered = append(ordered, nd)
		}
	}
	inner := map[int]bool{}
	for _, nd := range ordered {
		inner[nd.out[0]] = true
	}
	reg := map[int]int{}
	var in []int
	for _, nd := range ordered {
		for _, v := range nd.in {
			if _, ok := reg[v]; !ok && !inner[v] {
				reg[v] = len(in)
				in = append(in, v)
			}
		}
	}
	p := &Program{NumInputs: len(in)}
	for i, nd := range ordered {
		ins := Instr{Op: nd.op}
		if nd.op == OpScale {
			ins.Scalar = nd.attrs.Scalar
		}
		for j, v := range nd.in {
			ins.Args[j] = reg[v]
		}
		reg[nd.out[0]] = len(in) + i
		p.Instrs = append(p.Instrs, ins)
	}
	return p, in
}
