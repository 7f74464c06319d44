package metal

import (
	"math"
	"testing"

	"github.com/silica-go/silica/engine"
	"github.com/silica-go/silica/engine/backendtest"
)

// TestAttentionSplitOnHarness runs Attention on the harness with at most
// two sequences a dispatch (attentionSegments, 1023 in use), so that a
// step of seven sequences is four dispatches whose starts and first rows
// must line up, and compares it with the CPU backend.
func TestAttentionSplitOnHarness(t *testing.T) {
	m, d := newHarnessBackend(t)
	defer func(n int) { attentionSegments = n }(attentionSegments)
	attentionSegments = 2
	e := engine.New("metal", m)
	c := engine.New("cpu", newCPU())
	lengths := []int{3, 1, 4, 1, 5, 9, 2}
	run := func(e *engine.Engine) []float32 {
		q := must[*engine.Array](t)(e.RandomNormal(1, engine.Float32, 25, 64))
		k := must[*engine.Array](t)(e.RandomNormal(2, engine.Float32, 25, 64))
		v := must[*engine.Array](t)(e.RandomNormal(3, engine.Float32, 25, 64))
		return must[[]float32](t)(must[*engine.Array](t)(engine.Attention(q, k, v, 2, 0.125, lengths)).Float32())
	}
	got, want := run(e), run(c)
	for i := range want {
		if math.Abs(float64(got[i]-want[i])) > 10*backendtest.TolFloat32*(1+math.Abs(float64(want[i]))) {
			t.Fatalf("element %d: %g, cpu %g", i, got[i], want[i])
		}
	}
	if n := len(d.last); n != 4 {
		t.Errorf("%d launches for 7 sequences at 2 a dispatch, want 4", n)
	}
}
