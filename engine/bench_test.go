package engine_test

import (
	"testing"

	"github.com/silica-go/silica/engine"
)

// BenchmarkEvalOverhead measures what Eval costs beyond the kernels: a
// search graph (cosine + top-k) on a tiny input, planned once and then
// taken from the plan cache.
func BenchmarkEvalOverhead(b *testing.B) {
	e, err := engine.Open("cpu")
	if err != nil {
		b.Fatal(err)
	}
	q, _ := e.RandomNormal(1, engine.Float32, 1, 4)
	x, _ := e.RandomNormal(2, engine.Float32, 8, 4)
	b.ReportAllocs()
	for b.Loop() {
		s, _ := engine.Cosine(q, x)
		v, i, _ := engine.TopK(s, 2, true)
		if err := e.Eval(v, i); err != nil {
			b.Fatal(err)
		}
	}
}
