package metal

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/silica-go/silica/engine"
	"github.com/silica-go/silica/engine/backendtest"
	"github.com/silica-go/silica/internal/testenv"
	"github.com/silica-go/silica/kernels"
	"github.com/silica-go/silica/kernels/msltest"
)

// brokenVariant is a deliberate bug planted in a kernel source
// (testdata/broken/*.txt): the text old, found exactly once in file,
// becomes new.
type brokenVariant struct {
	name, file, check, why, old, new string
}

func readBroken(t *testing.T) []brokenVariant {
	paths, err := filepath.Glob("testdata/broken/*.txt")
	if err != nil || len(paths) == 0 {
		t.Fatalf("no broken variants in testdata/broken: %v", err)
	}
	var vs []brokenVariant
	for _, path := range paths {
		raw, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		head, rest, ok1 := strings.Cut(string(raw), "--- old\n")
		old, nw, ok2 := strings.Cut(rest, "--- new\n")
		if !ok1 || !ok2 {
			t.Fatalf("%s: want a header, then --- old and --- new sections", path)
		}
		v := brokenVariant{name: strings.TrimSuffix(filepath.Base(path), ".txt"), old: old, new: nw}
		for _, line := range strings.Split(head, "\n") {
			k, val, _ := strings.Cut(line, ": ")
			switch k {
			case "file":
				v.file = val
			case "check":
				v.check = val
			case "why":
				v.why = val
			}
		}
		vs = append(vs, v)
	}
	return vs
}

// brokenChecks run one comparison against the CPU and return its first
// failure.
var brokenChecks = map[string]func(p *pair) error{
	"matmul": func(p *pair) error {
		ca, ma := p.normal(11, engine.Float32, 70, 33)
		cb, mb := p.normal(12, engine.Float32, 33, 45)
		return p.closeErr(engine.MatMul(ca, cb, false, false))(engine.MatMul(ma, mb, false, false))(backendtest.TolFloat32)
	},
	"reduce": func(p *pair) error {
		c, m := p.uniform(13, 0.5, 2, engine.Float32, 7, 300)
		return p.closeErr(engine.Sum(c, 1))(engine.Sum(m, 1))(backendtest.TolFloat32)
	},
	"topk": func(p *pair) error {
		c, m := p.normal(14, engine.Float32, 3, 1000)
		cv, ci, err := engine.TopK(c, 77, true)
		if err != nil {
			return err
		}
		mv, mi, err := engine.TopK(m, 77, true)
		if err != nil {
			return err
		}
		if err := p.closeErr(cv, nil)(mv, nil)(0); err != nil {
			return err
		}
		return p.closeErr(engine.Cast(ci, engine.Float32))(engine.Cast(mi, engine.Float32))(0)
	},
	"scan": func(p *pair) error {
		cq, mq := p.normal(15, engine.Float32, 3, 16)
		cx, mx := p.normal(16, engine.Float32, 2000, 16)
		t := p.t
		cs, cv, _ := scanGraph(t, "cosine", false, cq, cx, 100, true)
		_, mv, mi := scanGraph(t, "cosine", false, mq, mx, 100, true)
		got, err := mv.Float32()
		if err != nil {
			return err
		}
		idx, err := mi.Int64()
		if err != nil {
			return err
		}
		return checkTopK("scan", floatsOf(t, cs), 3, 2000, 100, got, idx, floatsOf(t, cv), backendtest.TolFloat32)
	},
}

// closeErr compares like pair.close but returns the failure.
func (p *pair) closeErr(c *engine.Array, cerr error) func(*engine.Array, error) func(float64) error {
	return func(m *engine.Array, merr error) func(float64) error {
		return func(tol float64) error {
			if cerr != nil || merr != nil {
				return fmt.Errorf("build: %v %v", cerr, merr)
			}
			want, err := c.Float32()
			if err != nil {
				return err
			}
			got, err := m.Float32()
			if err != nil {
				return err
			}
			e, err := relErr(got, want)
			if err != nil {
				return err
			}
			if e > tol {
				return fmt.Errorf("relative error %.3g, tolerance %.3g", e, tol)
			}
			return nil
		}
	}
}

// TestBrokenVariantsCaught plants each bug of testdata/broken in its
// source and checks that the backend's run over the harness device no
// longer matches the CPU: the
// harness catches missing barriers and off-by-one errors. The intact
// source passes the same check first. A race is caught if any of the
// three thread orders exposes it. Each bug is a build of its own, so a
// default run plants two drawn at random (testenv.Sample), every one with
// SILICA_EXHAUSTIVE=1.
func TestBrokenVariantsCaught(t *testing.T) {
	_, err := msltest.Default()
	testenv.Need(t, "clang", err)
	vs := readBroken(t)
	for _, i := range testenv.Sample(t, len(vs), nil, 2) {
		v := vs[i]
		t.Run(v.name, func(t *testing.T) {
			check := brokenChecks[v.check]
			if check == nil {
				t.Fatalf("unknown check %q", v.check)
			}
			var orig string
			if v.file == kernels.HeaderName {
				orig = kernels.Header()
			} else {
				orig, err = kernels.FamilySource(strings.TrimSuffix(v.file, ".metal"))
				if err != nil {
					t.Fatal(err)
				}
			}
			if n := strings.Count(orig, v.old); n != 1 {
				t.Fatalf("the text to replace occurs %d times in %s, want once:\n%s", n, v.file, v.old)
			}
			broken := strings.Replace(orig, v.old, v.new, 1)
			run := func(sources map[string]string, order msltest.Order) error {
				m, d := newHarnessBackendWith(t, msltest.Options{Order: order, Seed: 5})
				d.sources = sources
				p := &pair{t: t, cpu: engine.New("cpu", newCPU()), msl: backendtest.Poisoned("metal", m)}
				return check(p)
			}
			if err := run(nil, msltest.Shuffled); err != nil {
				t.Fatalf("the intact source fails the check: %v", err)
			}
			for _, order := range []msltest.Order{msltest.Shuffled, msltest.Forward, msltest.Reverse} {
				if err := run(map[string]string{v.file: broken}, order); err != nil {
					t.Logf("caught (%s order): %s: %v", order, v.why, err)
					return
				}
			}
			t.Errorf("not caught in any thread order: %s", v.why)
		})
	}
}
