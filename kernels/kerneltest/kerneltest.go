// Package kerneltest gives a kernel written outside Silica
// (engine.NewKernel) the checks Silica's own kernels get, from the user's
// own Go test:
//
//	func TestMyKernel(t *testing.T) {
//		kerneltest.Check(t, mykernel.Kernel, func(r *rand.Rand, n int) kerneltest.Case {
//			... random inputs of about n rows ...
//		}, kerneltest.Options{})
//	}
//
// # What Check does
//
// For each size in Options.Sizes (awkward ones by default: 1, 2, 31, 33,
// 257, 1000), it asks the generator for a case of fresh random inputs and
// computes the expected outputs with the kernel's Go function (the
// reference). Then it runs the kernel's MSL in the CPU harness
// (kernels/msltest: clang, real barriers, guard pages), with every output
// filled with 0xFF bytes first, and compares. Where a CUDA GPU is present
// and the kernel has a CUDA source, it runs that too, through the CUDA
// backend with poisoned buffers. A compile error fails the test with the
// kernel's name and the compiler's message, its line numbers in the
// kernel's source.
//
// # Needs
//
// The harness needs clang (CI installs it: .ci/setup.d/10-clang.sh);
// without it the MSL part skips with the reason (fails in CI). Without a
// GPU the CUDA part skips (also in CI: CI has no GPU).
//
// Backends are taken by name from the engine's registry (engine.Open), and
// this package imports none: the test registers those it wants, e.g.
//
//	import _ "github.com/silica-go/silica/cuda" // or .../backends for every one
//
// A backend that is not registered skips like one that does not open,
// with the engine's reason.
//
// # Comparison
//
// Float outputs must be within Options.Tol (default 1e-5) of the
// reference, as ||got - want|| / ||want||; integer outputs must be equal.
// Options.Compare replaces both, for kernels whose results may
// legitimately differ (ties in any order, say).
package kerneltest

import (
	"bytes"
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/silica-go/silica/engine"
	"github.com/silica-go/silica/engine/backendtest"
	"github.com/silica-go/silica/internal/testenv"
	"github.com/silica-go/silica/kernels/msltest"
)

// Case is one set of inputs for the kernel.
type Case struct {
	In     []engine.HostArray
	Params []int64
}

// Options tune Check; the zero value is valid.
type Options struct {
	Sizes   []int   // sizes passed to the generator; default DefaultSizes
	Seed    uint64  // of the random source; 0: 1
	Tol     float64 // relative tolerance on float outputs; 0: 1e-5
	Compare func(output int, got, want engine.HostArray) error
	// Backends lists the engine backends to run the kernel on besides the
	// harness, by registered name; default {"cuda"} (skipped where it is
	// not registered or does not open).
	Backends []string
}

// DefaultSizes are the sizes Check tries: one, two, just under and over a
// power of two, and one multiple of no tile size.
var DefaultSizes = []int{1, 2, 31, 33, 257, 1000}

// Check runs the kernel on every size, in the harness and on the GPU
// backends present, against its Go function. See the package doc.
func Check(t *testing.T, k *engine.Kernel, gen func(r *rand.Rand, n int) Case, opt Options) {
	t.Helper()
	spec := k.Spec()
	sizes := opt.Sizes
	if len(sizes) == 0 {
		sizes = DefaultSizes
	}
	seed := opt.Seed
	if seed == 0 {
		seed = 1
	}
	backends := opt.Backends
	if backends == nil {
		backends = []string{"cuda"}
	}
	// Each backend is opened once for the whole check (a GPU context is
	// costly to make), poisoned, and closed when the test ends.
	engines := map[string]*engine.Engine{}
	openErrs := map[string]error{}
	for _, name := range backends {
		opened, err := engine.Open(name)
		if err != nil {
			openErrs[name] = err
			continue
		}
		t.Cleanup(func() { opened.Close() })
		engines[name] = backendtest.Poisoned(name, opened.Backend())
	}
	r := rand.New(rand.NewPCG(seed, 0x6b65726e))
	for _, n := range sizes {
		c := gen(r, n)
		want, err := Reference(k, c)
		if err != nil {
			t.Fatalf("%s size %d: the Go reference: %v", spec.Name, n, err)
		}
		t.Run(fmt.Sprintf("%s/n=%d/msl", spec.Name, n), func(t *testing.T) {
			if spec.MSL == "" {
				testenv.SkipBecause(t, "kernel without MSL source")
			}
			h, err := msltest.Default()
			testenv.Need(t, "clang", err)
			if err := MSL(h, k, c, want, seed, opt); err != nil {
				t.Fatal(err)
			}
		})
		for _, name := range backends {
			t.Run(fmt.Sprintf("%s/n=%d/%s", spec.Name, n, name), func(t *testing.T) {
				testenv.Need(t, name, openErrs[name])
				compare(t, runOn(t, engines[name], name, k, c), want, opt)
			})
		}
	}
}

// runOn runs the kernel on e, an engine whose buffers are poisoned,
// skipping (with the reason) where the backend would run the kernel's Go
// function instead of its own source.
func runOn(t *testing.T, e *engine.Engine, name string, k *engine.Kernel, c Case) []engine.HostArray {
	t.Helper()
	in := make([]*engine.Array, len(c.In))
	for i, a := range c.In {
		var err error
		if in[i], err = e.FromBytes(a.Data, a.DType, a.Shape...); err != nil {
			t.Fatal(err)
		}
		defer in[i].Free()
	}
	outs, err := k.Call(c.Params, in...)
	if err != nil {
		t.Fatal(err)
	}
	p, err := e.Explain(outs...)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range p.Steps {
		if s.Host {
			t.Logf("%s has no source of %s for this backend: it would run the Go function", name, k.Name())
			testenv.SkipBecause(t, "kernel without source for the backend")
		}
	}
	if err := e.Eval(outs...); err != nil {
		t.Fatal(err)
	}
	got := make([]engine.HostArray, len(outs))
	for i, o := range outs {
		b, err := o.Bytes()
		if err != nil {
			t.Fatal(err)
		}
		got[i] = engine.HostArray{Value: engine.Value{Shape: o.Shape(), DType: o.DType()}, Data: b}
	}
	return got
}

// MSL runs the kernel's MSL for one case in the harness h, threads
// resumed in shuffled order, every output poisoned first, and compares
// with want (from Reference).
func MSL(h *msltest.Harness, k *engine.Kernel, c Case, want []engine.HostArray, seed uint64, opt Options) error {
	got := poisoned(want)
	if err := h.RunKernel(k.Spec(), c.Params, c.In, got, msltest.Options{Order: msltest.Shuffled, Seed: seed}); err != nil {
		return err
	}
	return compareAll(got, want, opt)
}

// Reference computes a case's outputs with the kernel's Go function.
func Reference(k *engine.Kernel, c Case) ([]engine.HostArray, error) {
	spec := k.Spec()
	in := make([]engine.Value, len(c.In))
	for i, a := range c.In {
		in[i] = a.Value
		if len(a.Data) != a.Bytes() {
			return nil, fmt.Errorf("input %d: %d bytes for %s", i, len(a.Data), a.Value)
		}
	}
	vals, err := spec.Outputs(in, c.Params)
	if err != nil {
		return nil, err
	}
	args := &engine.KernelArgs{In: c.In, Params: c.Params}
	for _, v := range vals {
		args.Out = append(args.Out, engine.HostArray{Value: v, Data: make([]byte, v.Bytes())})
	}
	if err := spec.Go(args); err != nil {
		return nil, err
	}
	return args.Out, nil
}

// poisoned returns output buffers like want, filled with 0xFF bytes.
func poisoned(want []engine.HostArray) []engine.HostArray {
	out := make([]engine.HostArray, len(want))
	for i, w := range want {
		out[i] = engine.HostArray{Value: w.Value, Data: bytes.Repeat([]byte{0xff}, len(w.Data))}
	}
	return out
}

func compare(t *testing.T, got, want []engine.HostArray, opt Options) {
	t.Helper()
	if err := compareAll(got, want, opt); err != nil {
		t.Fatal(err)
	}
}

func compareAll(got, want []engine.HostArray, opt Options) error {
	for i := range want {
		var err error
		if opt.Compare != nil {
			err = opt.Compare(i, got[i], want[i])
		} else {
			err = Equal(got[i], want[i], opt.Tol)
		}
		if err != nil {
			return fmt.Errorf("output %d: %w", i, err)
		}
	}
	return nil
}

// Equal compares two outputs: float ones within tol (relative norm error;
// 0 means 1e-5, and NaN or Inf where the reference is finite always
// fails), others byte for byte.
func Equal(got, want engine.HostArray, tol float64) error {
	if !got.Shape.Equal(want.Shape) || got.DType != want.DType {
		return fmt.Errorf("got %s, want %s", got.Value, want.Value)
	}
	if !want.DType.IsFloat() {
		es := want.DType.Size()
		for i := 0; i < len(want.Data); i += es {
			if !bytes.Equal(got.Data[i:i+es], want.Data[i:i+es]) {
				return fmt.Errorf("element %d differs: got % x, want % x", i/es, got.Data[i:i+es], want.Data[i:i+es])
			}
		}
		return nil
	}
	if tol == 0 {
		tol = 1e-5
	}
	g, w := engine.DecodeFloat32(got.DType, got.Data), engine.DecodeFloat32(want.DType, want.Data)
	var num, den float64
	for i := range w {
		gi, wi := float64(g[i]), float64(w[i])
		if (math.IsNaN(gi) || math.IsInf(gi, 0)) && !math.IsNaN(wi) && !math.IsInf(wi, 0) {
			return fmt.Errorf("element %d is %g, want %g (unwritten?)", i, gi, wi)
		}
		if !math.IsNaN(wi) && !math.IsInf(wi, 0) {
			num += (gi - wi) * (gi - wi)
			den += wi * wi
		}
	}
	if den > 0 {
		num /= den
	}
	if e := math.Sqrt(num); e > tol {
		return fmt.Errorf("relative error %.3g > %.3g", e, tol)
	}
	return nil
}
