package kernels_test

import (
	"fmt"
	"maps"
	"math"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/silica-go/silica/engine"
	"github.com/silica-go/silica/internal/testenv"
	"github.com/silica-go/silica/kernels"
	"github.com/silica-go/silica/kernels/msltest"
)

// cmathRE finds the C math names silica.h defines for engine.Program.Source
// (`inline float expf(float x)`) and their number of float operands.
var cmathRE = regexp.MustCompile(`(?m)^inline float (\w+f)\(([^)]*)\)`)

// cmathNames returns silica.h's C math names (in its namespace silica)
// with their number of operands.
func cmathNames() map[string]int {
	_, ns, _ := strings.Cut(kernels.Header(), "\nnamespace silica {")
	ns, _, _ = strings.Cut(ns, "} // namespace silica")
	names := map[string]int{}
	for _, m := range cmathRE.FindAllStringSubmatch(ns, -1) {
		names[m[1]] = strings.Count(m[2], "float")
	}
	return names
}

// TestElementwiseCallsInHeader: every C function an element-wise op's
// expression calls (engine.Elementwise.C) is defined in silica.h, so the
// fused Metal kernels compile; a function MSL lacks is written there from
// MSL's primitives, as erff is.
func TestElementwiseCallsInHeader(t *testing.T) {
	names := cmathNames()
	call := regexp.MustCompile(`\b(\w+)\(`)
	for _, op := range engine.Ops() {
		e := op.Info().Elementwise
		if e == nil {
			continue
		}
		for _, m := range call.FindAllStringSubmatch(e.C, -1) {
			if _, ok := names[m[1]]; !ok {
				t.Errorf("%s's expression %q calls %s, which kernels/metal/silica.h does not define", op, e.C, m[1])
			}
		}
	}
}

// cmathRefs are the float64 definitions of silica.h's C math names that
// no element-wise op's expression was a plain call of when they were
// written (see refs; an op's Eval takes the place of an entry here).
var cmathRefs = map[string]func(a, b, c float64) float64{
	"exp2f":  func(a, _, _ float64) float64 { return math.Exp2(a) },
	"exp10f": func(a, _, _ float64) float64 { return math.Pow(10, a) },
	"log2f":  func(a, _, _ float64) float64 { return math.Log2(a) },
	"log10f": func(a, _, _ float64) float64 { return math.Log10(a) },
	"powf":   func(a, b, _ float64) float64 { return math.Pow(a, b) },
	"sinf":   func(a, _, _ float64) float64 { return math.Sin(a) },
	"cosf":   func(a, _, _ float64) float64 { return math.Cos(a) },
	"tanf":   func(a, _, _ float64) float64 { return math.Tan(a) },
	"asinf":  func(a, _, _ float64) float64 { return math.Asin(a) },
	"acosf":  func(a, _, _ float64) float64 { return math.Acos(a) },
	"atanf":  func(a, _, _ float64) float64 { return math.Atan(a) },
	"atan2f": func(a, b, _ float64) float64 { return math.Atan2(a, b) },
	"sinhf":  func(a, _, _ float64) float64 { return math.Sinh(a) },
	"coshf":  func(a, _, _ float64) float64 { return math.Cosh(a) },
	"tanhf":  func(a, _, _ float64) float64 { return math.Tanh(a) },
	"asinhf": func(a, _, _ float64) float64 { return math.Asinh(a) },
	"acoshf": func(a, _, _ float64) float64 { return math.Acosh(a) },
	"atanhf": func(a, _, _ float64) float64 { return math.Atanh(a) },
	"floorf": func(a, _, _ float64) float64 { return math.Floor(a) },
	"ceilf":  func(a, _, _ float64) float64 { return math.Ceil(a) },
	"truncf": func(a, _, _ float64) float64 { return math.Trunc(a) },
	"roundf": func(a, _, _ float64) float64 { return math.Round(a) },
	"rintf":  func(a, _, _ float64) float64 { return math.RoundToEven(a) },
	"fmodf":  func(a, b, _ float64) float64 { return math.Mod(a, b) },
	"copysignf": func(a, b, _ float64) float64 {
		return math.Copysign(a, b)
	},
	"fmaxf": func(a, b, _ float64) float64 { return math.Max(a, b) },
	"fminf": func(a, b, _ float64) float64 { return math.Min(a, b) },
}

// callRE matches an expression that is one call of a C function on the
// operands in order ("erff($a)", "fmaf($a, $b, $c)").
var callRE = regexp.MustCompile(`^(\w+)\(\$a(?:, \$b(?:, \$c)?)?\)$`)

// refs returns the reference of every C name: the Eval of the element-wise
// op whose expression is a plain call of it (so that a new op, or a
// function silica.h writes out for one, is checked against that op with
// no change here), else its entry in cmathRefs.
func refs() map[string]func(a, b, c float64) float64 {
	r := maps.Clone(cmathRefs)
	for _, op := range engine.Ops() {
		e := op.Info().Elementwise
		if e == nil {
			continue
		}
		if m := callRE.FindStringSubmatch(e.C); m != nil {
			r[m[1]] = func(a, b, c float64) float64 { return e.Eval(a, b, c, 0) }
		}
	}
	return r
}

// cmathULPs bounds the harness's C math names against their references,
// in ulps of the float32 result (erff's own fit is within 1.22 ulp; the
// C library's float functions within 1 or 2). It checks that each name
// calls the function it says, not Metal's precision, which the harness
// does not model.
const cmathULPs = 4

// TestCMathNames runs each C math name of silica.h in the MSL harness
// (a kernel per name, over operands in [-3, 3] and [0.25, 6]) and
// compares it with its reference (refs): every name of the header has
// one, and each computes its function.
func TestCMathNames(t *testing.T) {
	h, err := msltest.Default()
	testenv.Need(t, "clang", err)
	names := cmathNames()
	ref := refs()
	var src strings.Builder
	src.WriteString("#include \"silica.h\"\n")
	var sorted []string
	for name, arity := range names {
		if ref[name] == nil {
			t.Errorf("silica.h defines %s, which no element-wise op calls and cmathRefs lacks", name)
			continue
		}
		sorted = append(sorted, name)
		args := []string{"a[i]", "b[i]", "c[i]"}[:arity]
		fmt.Fprintf(&src, "kernel void k_%s(device const float* a [[buffer(0)]], device const float* b [[buffer(1)]], "+
			"device const float* c [[buffer(2)]], device float* y [[buffer(3)]], uint i [[thread_position_in_grid]]) "+
			"{ y[i] = silica::%s(%s); }\n", name, name, strings.Join(args, ", "))
	}
	slices.Sort(sorted)
	p, err := h.Compile("cmath.metal", src.String(), map[string]string{kernels.HeaderName: kernels.Header()})
	if err != nil {
		t.Fatal(err)
	}
	const n = 64
	var a, b, c []float32
	for i := range n {
		a = append(a, float32(-3+6*float64(i)/(n-1)))
		b = append(b, float32(0.25+5.75*float64(i)/(n-1)))
		c = append(c, float32(i%7)-3)
	}
	// The operands of functions defined on part of the line: within it.
	domain := map[string][]float32{"sqrtf": b, "rsqrtf": b, "logf": b, "log2f": b, "log10f": b, "powf": b,
		"acoshf": affine(b, 1, 0.75), "asinf": affine(a, 1.0/3, 0), "acosf": affine(a, 1.0/3, 0), "atanhf": affine(a, 0.99/3, 0)}
	for _, name := range sorted {
		x := a
		if d, ok := domain[name]; ok {
			x = d
		}
		y := make([]byte, 4*n)
		err := p.Run(msltest.Launch{Kernel: "k_" + name, Grid: [3]int{n, 1, 1}, Threads: [3]int{32, 1, 1},
			Buffers: []msltest.Buffer{{Index: 0, Data: raw(x)}, {Index: 1, Data: raw(b)}, {Index: 2, Data: raw(c)}, {Index: 3, Data: y}}}, msltest.Options{})
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		ys := engine.DecodeFloat32(engine.Float32, y)
		for i, got := range ys {
			want := ref[name](float64(x[i]), float64(b[i]), float64(c[i]))
			ulp := math.Abs(float64(math.Nextafter32(float32(want), float32(math.Inf(1)))) - float64(float32(want)))
			if ulp == 0 || math.IsInf(ulp, 0) {
				ulp = math.SmallestNonzeroFloat32
			}
			if d := math.Abs(float64(got) - want); !(d <= cmathULPs*ulp) && !(got != got && want != want) {
				t.Errorf("%s(%g, %g, %g) = %g, want %g (%.1f ulps)", name, x[i], b[i], c[i], got, want, d/ulp)
			}
		}
	}
}

// affine returns f*x + d of each element of x.
func affine(x []float32, f, d float64) []float32 {
	y := make([]float32, len(x))
	for i, v := range x {
		y[i] = float32(f*float64(v) + d)
	}
	return y
}

// raw is x as float32 bytes, as a buffer holds them.
func raw(x []float32) []byte {
	b, err := engine.EncodeFloat32(engine.Float32, x)
	if err != nil {
		panic(err)
	}
	return b
}
