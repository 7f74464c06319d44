package cpu

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/silica-go/silica/engine"
)

// TestReduceBlocks checks reductions along a middle axis whose inner
// extent spans several accumulator blocks, and NaN in a max along either
// kind of axis.
func TestReduceBlocks(t *testing.T) {
	bothKernelSets(t, func(t *testing.T) {
		e := engine.New("cpu", poisoned(3))
		r := rand.New(rand.NewPCG(11, 11))
		shape := []int{2, 3, reduceChunk + 905}
		x := make([]float32, 2*3*shape[2])
		normals(r, x)
		x[1*3*shape[2]+2*shape[2]+4100] = float32(math.NaN()) // outer 1, l 2, j 4100
		a, err := e.FromFloat32(x, shape...)
		if err != nil {
			t.Fatal(err)
		}
		for _, op := range []engine.Op{engine.OpSum, engine.OpNorm, engine.OpReduceMax} {
			var y *engine.Array
			switch op {
			case engine.OpSum:
				y, err = engine.Sum(a, 1)
			case engine.OpNorm:
				y, err = engine.Norm(a, 1)
			default:
				y, err = engine.ReduceMax(a, 1)
			}
			if err != nil {
				t.Fatal(err)
			}
			got, err := y.Float32()
			if err != nil {
				t.Fatal(err)
			}
			for o := range 2 {
				for j := range shape[2] {
					acc := reduceStart(op)
					for l := range 3 {
						v := float64(x[(o*3+l)*shape[2]+j])
						switch op {
						case engine.OpSum:
							acc += v
						case engine.OpNorm:
							acc += v * v
						default:
							acc = max(acc, v)
						}
					}
					want := reduceEnd(op, acc)
					if g := got[o*shape[2]+j]; !sameFloat(g, want) && math.Abs(float64(g-want)) > 1e-6*math.Abs(float64(want)) {
						t.Fatalf("%s axis 1 at (%d, %d): %v, want %v", op, o, j, g, want)
					}
				}
			}
		}
		// NaN along the last axis: only the row holding it is NaN.
		m, err := engine.ReduceMax(a, 2)
		if err != nil {
			t.Fatal(err)
		}
		got, err := m.Float32()
		if err != nil {
			t.Fatal(err)
		}
		for i, v := range got {
			if math.IsNaN(float64(v)) != (i == 5) {
				t.Fatalf("max along the last axis, row %d: %v", i, v)
			}
		}
	})
}
