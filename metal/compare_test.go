package metal

import (
	"fmt"
	"math"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/silica-go/silica/engine"
	"github.com/silica-go/silica/engine/backendtest"
	"github.com/silica-go/silica/kernels/msltest"
)

// The comparisons below run each op on the CPU backend and on the Metal
// backend over the harness device, and compare within the shared suite's
// tolerances (backendtest.Tol): the relative norm error ||got - want|| /
// ||want|| allowed for results stored as each dtype. Inputs of a 16-bit
// dtype are the same rounded values on both sides; the results differ by
// the order of float32 accumulation and, for 16-bit outputs, by one
// rounding of the output at most.

// seed returns a fresh seed for each test (SILICA_SEED fixes it), logged
// so that a failure can be reproduced.
func seed(t *testing.T) uint64 {
	t.Helper()
	s := uint64(time.Now().UnixNano())
	if v := os.Getenv("SILICA_SEED"); v != "" {
		n, err := strconv.ParseUint(v, 10, 64)
		if err != nil {
			t.Fatalf("SILICA_SEED=%q: %v", v, err)
		}
		s = n
	}
	t.Logf("seed %d (set SILICA_SEED to repeat)", s)
	return s
}

// pair is the CPU reference and the Metal backend over the harness
// device, fed the same inputs.
type pair struct {
	t        *testing.T
	cpu, msl *engine.Engine
}

func engines(t *testing.T) *pair {
	return enginesWith(t, msltest.Options{Order: msltest.Shuffled, Seed: 1})
}

// enginesPoisoned is engines with each step's outputs filled with poison
// before the step writes them: a test of ops with integer outputs, where
// the default 0xFF (-1) may be a right answer, runs with a second poison
// too.
func enginesPoisoned(t *testing.T, poison byte) *pair {
	return enginesWith(t, msltest.Options{Order: msltest.Shuffled, Seed: 1}, poison)
}

func enginesWith(t *testing.T, opt msltest.Options, poison ...byte) *pair {
	t.Helper()
	m, d := newHarnessBackendWith(t, opt)
	if len(poison) > 0 {
		d.poison = poison[0]
	}
	return &pair{t: t, cpu: engine.New("cpu", newCPU()), msl: backendtest.Poisoned("metal", m)}
}

// normal makes the same standard-normal array on both engines.
func (p *pair) normal(seed uint64, dt engine.DType, shape ...int) (c, m *engine.Array) {
	p.t.Helper()
	return p.mirror(p.cpu.RandomNormal(seed, dt, shape...))
}

// uniform makes the same uniform [lo, hi) array on both engines.
func (p *pair) uniform(seed uint64, lo, hi float64, dt engine.DType, shape ...int) (c, m *engine.Array) {
	p.t.Helper()
	return p.mirror(p.cpu.RandomUniform(seed, lo, hi, dt, shape...))
}

// mirror copies an array made on the CPU engine to the Metal one.
func (p *pair) mirror(c *engine.Array, err error) (*engine.Array, *engine.Array) {
	p.t.Helper()
	if err != nil {
		p.t.Fatal(err)
	}
	raw, err := c.Bytes()
	if err != nil {
		p.t.Fatal(err)
	}
	m, err := p.msl.FromBytes(raw, c.DType(), c.Shape()...)
	if err != nil {
		p.t.Fatal(err)
	}
	return c, m
}

// from makes the same array from bytes on both engines.
func (p *pair) from(raw []byte, dt engine.DType, shape ...int) (c, m *engine.Array) {
	p.t.Helper()
	c, err := p.cpu.FromBytes(raw, dt, shape...)
	if err != nil {
		p.t.Fatal(err)
	}
	m, err = p.msl.FromBytes(raw, dt, shape...)
	if err != nil {
		p.t.Fatal(err)
	}
	return c, m
}

func floatsOf(t *testing.T, a *engine.Array) []float32 {
	t.Helper()
	f, err := a.Float32()
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// relErr is ||got - want|| / ||want|| over the elements where want is
// finite; a NaN or infinity in want must be matched exactly (NaN by NaN).
func relErr(got, want []float32) (float64, error) {
	if len(got) != len(want) {
		return 0, fmt.Errorf("%d elements, want %d", len(got), len(want))
	}
	var num, den float64
	for i := range want {
		w, g := float64(want[i]), float64(got[i])
		switch {
		case math.IsNaN(w):
			if !math.IsNaN(g) {
				return 0, fmt.Errorf("element %d is %g, want NaN", i, g)
			}
			continue
		case math.IsInf(w, 0):
			if g != w {
				return 0, fmt.Errorf("element %d is %g, want %g", i, g, w)
			}
			continue
		case math.IsNaN(g) || math.IsInf(g, 0):
			return 0, fmt.Errorf("element %d is %g, want %g", i, g, w)
		}
		num += (g - w) * (g - w)
		den += w * w
	}
	if den == 0 {
		return math.Sqrt(num), nil
	}
	return math.Sqrt(num / den), nil
}

// close checks that the Metal result m matches the CPU result c within tol.
func (p *pair) close(what string, c, m *engine.Array, tol float64) {
	p.t.Helper()
	want := floatsOf(p.t, c)
	got, err := m.Float32()
	if err != nil {
		p.t.Errorf("%s: %v", what, err)
		return
	}
	if !c.Shape().Equal(m.Shape()) || c.DType() != m.DType() {
		p.t.Errorf("%s: got %s %v, want %s %v", what, m.DType(), m.Shape(), c.DType(), c.Shape())
		return
	}
	e, err := relErr(got, want)
	if err != nil {
		p.t.Errorf("%s: %v", what, err)
		return
	}
	if e > tol {
		p.t.Errorf("%s: relative error %.3g, tolerance %.3g", what, e, tol)
	}
}

// same checks that two arrays hold identical bytes.
func (p *pair) same(what string, c, m *engine.Array) {
	p.t.Helper()
	want, err := c.Bytes()
	if err != nil {
		p.t.Fatal(err)
	}
	got, err := m.Bytes()
	if err != nil {
		p.t.Errorf("%s: %v", what, err)
		return
	}
	if len(got) != len(want) {
		p.t.Errorf("%s: %d bytes, want %d", what, len(got), len(want))
		return
	}
	es := m.DType().Size()
	for i := range want {
		if got[i] != want[i] {
			p.t.Errorf("%s: element %d differs (got bytes % x, want % x)", what, i/es, got[i/es*es:i/es*es+es], want[i/es*es:i/es*es+es])
			return
		}
	}
}
