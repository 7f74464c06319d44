package metal

import (
	"fmt"
	"math"
	"testing"

	"github.com/silica-go/silica/engine"
	"github.com/silica-go/silica/engine/backendtest"
)

func TestNormalize(t *testing.T) {
	p := engines(t)
	s := seed(t)
	for _, dt := range floatTypes {
		for i, shape := range [][]int{{1, 1}, {1, 7}, {9, 100}, {3, 5, 33}, {37, 129}} {
			c, m := p.normal(s+uint64(i), dt, shape...)
			ok := must[*engine.Array](t)
			p.close(fmt.Sprintf("normalize %s %v", dt, shape), ok(engine.Normalize(c)), ok(engine.Normalize(m)), backendtest.Tol(dt))
		}
	}
}

func TestReduce(t *testing.T) {
	p := engines(t)
	s := seed(t)
	ops := map[string]func(*engine.Array, int) (*engine.Array, error){"sum": engine.Sum, "max": engine.ReduceMax, "norm": engine.Norm}
	shapes := []struct {
		shape []int
		axis  int
	}{{[]int{1}, 0}, {[]int{1, 1}, 1}, {[]int{7, 300}, 1}, {[]int{7, 300}, 0}, {[]int{3, 5, 33}, 1}, {[]int{33, 2, 3}, -1}, {[]int{40}, 0}}
	for name, f := range ops {
		for _, dt := range floatTypes {
			for i, sh := range shapes {
				// sums of positive values, so that cancellation does not
				// make the relative error meaningless
				c, m := p.uniform(s+uint64(i), 0.5, 2, dt, sh.shape...)
				if name == "max" {
					c, m = p.normal(s+uint64(i), dt, sh.shape...)
				}
				ok := must[*engine.Array](t)
				p.close(fmt.Sprintf("%s %s %v axis %d", name, dt, sh.shape, sh.axis), ok(f(c, sh.axis)), ok(f(m, sh.axis)), backendtest.TolFloat32)
			}
		}
	}
}

func TestReduceMaxNaN(t *testing.T) {
	p := engines(t)
	v := make([]float32, 100)
	for i := range v {
		v[i] = float32(i % 17)
	}
	v[63] = float32(math.NaN())
	c, m := p.from(f32bytes(v), engine.Float32, 2, 50)
	ok := must[*engine.Array](t)
	p.close("max with a NaN", ok(engine.ReduceMax(c, 1)), ok(engine.ReduceMax(m, 1)), 0)
	p.close("max with a NaN, axis 0", ok(engine.ReduceMax(c, 0)), ok(engine.ReduceMax(m, 0)), 0)
}
