package metal

// These tests run the backend on the Mac's GPU. Elsewhere (no Metal
// device of the Apple7 family, or not darwin with cgo) they skip, saying
// why; under SILICA_CI=1 they skip only because "metal" is in
// SILICA_CI_ALLOW. harness_test.go runs the same checks with the CPU
// harness in place of the GPU.

import (
	"testing"

	"github.com/silica-go/silica/engine"
	"github.com/silica-go/silica/engine/backendtest"
	"github.com/silica-go/silica/internal/testenv"
)

// gpuBackend opens the backend on this machine's GPU, or skips.
func gpuBackend(t *testing.T) *Backend {
	t.Helper()
	b, err := New()
	testenv.Need(t, "metal", err)
	t.Cleanup(func() { b.Close() })
	return b
}

// TestBackend runs the shared suite: every engine op and fusion on the
// GPU against float64 references, with poisoned outputs.
func TestBackend(t *testing.T) {
	backendtest.Run(t, "metal", gpuBackend(t))
}

func TestDevice(t *testing.T) {
	d := gpuBackend(t).Device()
	if d.Backend != "metal" || d.Name == "" || d.Memory <= 0 || !d.Unified {
		t.Errorf("device %+v: want backend metal, a name, a positive recommended working set, unified memory", d)
	}
	t.Logf("%s: %.1f GiB working set; %s", d.Name, float64(d.Memory)/(1<<30), d.Version)
}

func TestSearchAgainstCPU(t *testing.T) {
	checkSearch(t, gpuBackend(t), 3, 10007, 384, []int{50, maxScanK, maxScanK + 1})
}

func TestGatherOutOfRange(t *testing.T) { checkGatherRange(t, gpuBackend(t)) }

func TestCustomKernel(t *testing.T) { checkCustomKernel(t, gpuBackend(t)) }

func TestCompileErrorNamesKernel(t *testing.T) { checkCompileError(t, gpuBackend(t)) }

func TestHammingExample(t *testing.T) { checkHamming(t, gpuBackend(t)) }

func TestMemoryInUse(t *testing.T) {
	b := gpuBackend(t)
	e := engine.New("metal", b)
	before := b.MemoryInUse()
	x := must[*engine.Array](t)(e.Zeros(engine.Float32, 1<<20))
	if got := b.MemoryInUse() - before; got < 4<<20 {
		t.Errorf("a 4 MiB array raised MemoryInUse by %d bytes", got)
	}
	x.Free()
	if _, err := b.Alloc(0); err == nil {
		t.Error("Alloc(0) gave no error")
	}
}
