package kernels_test

import (
	"fmt"
	"testing"

	"github.com/silica-go/silica/engine"
)

var floatTypes = []engine.DType{engine.Float32, engine.Float16, engine.BFloat16}

func TestNormalize(t *testing.T) {
	p := engines(t)
	s := seed(t)
	for _, dt := range floatTypes {
		for i, shape := range [][]int{{1, 1}, {1, 7}, {9, 100}, {3, 5, 33}, {37, 129}} {
			c, m := p.normal(s+uint64(i), dt, shape...)
			ok := must[*engine.Array](t)
			p.close(fmt.Sprintf("normalize %s %v", dt, shape), ok(engine.Normalize(c)), ok(engine.Normalize(m)), tolerance(dt))
		}
	}
}
