package engine_test

import (
	"testing"

	"github.com/silica-go/silica/engine"
)

// TestMaskedScanFuses checks that TopK(MaskRows(scores)) of the TopK's
// order fuses into one scan_topk step that reads the bitmap as its last
// input and allocates no [m, n] buffer, for dot, cosine and L2 scores,
// and that a mask of the other order is left unfused (it ranks the
// failing rows first, which no scan kernel does).
func TestMaskedScanFuses(t *testing.T) {
	ok := mk(t)
	e := open(t)
	m, n, d, k := 3, 1000, 16, 7
	q := ok(e.RandomNormal(1, engine.Float32, m, d))
	x := ok(e.RandomNormal(2, engine.Float32, n, d))
	bits := ok(e.FromInt32(make([]int32, (n+31)/32), (n+31)/32))
	for _, c := range []struct {
		name    string
		scores  func() *engine.Array
		largest bool
	}{
		{"dot", func() *engine.Array { return ok(engine.MatMul(q, x, false, true)) }, true},
		{"cosine", func() *engine.Array { return ok(engine.Cosine(q, x)) }, true},
		{"l2", func() *engine.Array { return ok(engine.L2Distance(q, x)) }, false},
	} {
		v, i, err := engine.TopK(ok(engine.MaskRows(c.scores(), bits, c.largest)), k, c.largest)
		if err != nil {
			t.Fatal(err)
		}
		p, err := e.Explain(v, i)
		if err != nil {
			t.Fatal(err)
		}
		if len(p.Steps) != 1 || p.Steps[0].Op != engine.OpScanTopK || !p.Steps[0].Attrs.Mask {
			t.Fatalf("%s: want one masked scan_topk step, got:\n%s", c.name, p)
		}
		s := p.Steps[0]
		if last := s.In[len(s.In)-1]; p.Values[last].DType != engine.Int32 || p.Values[last].Shape[0] != (n+31)/32 {
			t.Fatalf("%s: the scan's last input is %s, want the bitmap:\n%s", c.name, p.Values[last], p)
		}
		for _, val := range p.Values {
			if val.Slot >= 0 && val.Shape.Size() >= m*n {
				t.Fatalf("%s: plan holds a value of %v:\n%s", c.name, val.Shape, p)
			}
		}
		v, i, err = engine.TopK(ok(engine.MaskRows(c.scores(), bits, !c.largest)), k, c.largest)
		if err != nil {
			t.Fatal(err)
		}
		if p, err = e.Explain(v, i); err != nil {
			t.Fatal(err)
		}
		for _, s := range p.Steps {
			if s.Op == engine.OpScanTopK {
				t.Fatalf("%s: a mask of the other order was fused:\n%s", c.name, p)
			}
		}
	}
}
