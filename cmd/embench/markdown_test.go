package main

import (
	"strings"
	"testing"

	"github.com/silica-go/silica/cpu"
	"github.com/silica-go/silica/engine"
)

// noCustomBackend is the CPU backend refusing custom kernels, as the
// torch and mlx adapters do: the engine runs such a kernel's Go function
// on the host.
type noCustomBackend struct{ *cpu.Backend }

func (n noCustomBackend) Supports(op engine.Op, a *engine.Attrs, in []engine.Value) bool {
	return op != engine.OpCustom && n.Backend.Supports(op, a, in)
}

type noCustomDriver struct{}

func (noCustomDriver) Open(string) (engine.Backend, error) { return noCustomBackend{newCPU()}, nil }

func init() { engine.Register("fakenocustom", noCustomDriver{}) }

// TestHostFallbackMarked runs the binary scenario (a custom kernel) on
// the CPU backend, which runs it, and on one without its source: only the
// latter's row is marked as a host fall back, in the JSON and in the
// markdown table, which explains the mark.
func TestHostFallbackMarked(t *testing.T) {
	code, rep, table := runJSON(t, "--quick", "--docs", "300", "--backend", "cpu,fakenocustom", "--peers", "none",
		"--scenario", "binary_search_1")
	if code != 0 {
		t.Fatalf("exit %d:\n%s", code, table)
	}
	if len(rep.Results) != 2 {
		t.Fatalf("%d results, want 2", len(rep.Results))
	}
	for _, r := range rep.Results {
		want := r.Backend == "fakenocustom"
		if r.HostFallback != want || strings.Contains(r.Plan, "on the host") != want {
			t.Errorf("%s: host_fallback %t, plan %q; want host fall back %t", r.Backend, r.HostFallback, r.Plan, want)
		}
	}
	if !strings.Contains(table, "| fakenocustom"+hostFallbackMark+" |") {
		t.Errorf("the fall back's row is not marked:\n%s", table)
	}
	if strings.Contains(table, "| cpu"+hostFallbackMark) {
		t.Errorf("the CPU backend's row is marked, yet it ran the kernel itself:\n%s", table)
	}
	if !strings.Contains(table, "(host fallback): the case's custom kernel has no source for fakenocustom,") {
		t.Errorf("the table does not explain the mark:\n%s", table)
	}
}

// TestTailLabel: a row's p99 cell is the 99th percentile only where the
// case has enough runs to have one; with fewer it is the slowest run and
// says so.
func TestTailLabel(t *testing.T) {
	row := func(reps int) Result {
		ms := make([]float64, reps)
		for i := range ms {
			ms[i] = float64(i + 1) // 1 .. reps
		}
		r := Result{Scenario: "cosine", Backend: "cpu", DType: "float32", Size: "1", Verified: true, Status: statusOK}
		r.setTimes(ms, 0)
		return r
	}
	for _, c := range []struct {
		reps int
		want string
	}{
		{3, "| 3.00 (max) |"},
		{20, "| 20.0 (max) |"},
		{99, "| 99.0 (max) |"},
		{100, "| 99.0 |"},
		{2000, "| 1980 |"},
	} {
		var b strings.Builder
		writeMarkdown(&b, &Report{Results: []Result{row(c.reps)}, Config: ConfigInfo{MinReps: 10, MaxReps: 2000, MinTimeMS: 500, Warmup: 2}})
		if !strings.Contains(b.String(), c.want) {
			t.Errorf("%d runs: no cell %q in\n%s", c.reps, c.want, b.String())
		}
	}
}

// TestStoreTableColumns: the store table shows each search's end-to-end
// and kernel-only medians side by side, and marks the store rows of an
// engine adapter (Silica's store on another library) but not Silica's
// own backends, the peers, or the adapter's rows outside the store.
func TestStoreTableColumns(t *testing.T) {
	f := func(v float64) *float64 { return &v }
	row := func(scenario, backend string, median float64, kernel *float64) Result {
		runner := "engine"
		if backend == "torch" {
			runner = "python"
		}
		return Result{Scenario: scenario, Backend: backend, DType: "float32", Size: "10x4", MedianMS: f(median), P99MS: f(median),
			KernelMS: kernel, Verified: true, Status: statusOK, Runner: runner}
	}
	sharded := row("store_search_64", "cpu", 4, nil)
	sharded.Devices, sharded.Shards = 1, 2
	rep := &Report{
		Backends: []BackendInfo{{Name: "cpu", Backend: "cpu"}, {Name: "torch:cpu", Backend: "torch"}},
		Results: []Result{
			row("store_search_64", "cpu", 5, f(3.25)),
			row("store_search_64", "torch:cpu", 6, nil),
			row("store_search_64", "torch", 7, nil),
			sharded,
			row("binary_search_1", "torch:cpu", 8, nil),
		},
		Config: ConfigInfo{Docs: 10, Dim: 4, K: 2, Metric: "cosine", LargeK: []int{8}, LargeKBatches: []int{8}, LargeKLeftOut: []int{4096}, MinReps: 3, MaxReps: 9, MinTimeMS: 20},
	}
	var b strings.Builder
	writeMarkdown(&b, rep)
	table := b.String()
	for _, want := range []string{
		"| devices × shards | median ms (end to end) | kernel only ms |",
		"| store_search_64 | float32 | cpu | 1 × 2 | 4.00 | - |",
		"|  |  | cpu | 1 × 1 | 5.00 | 3.25 |",
		"|  |  | torch:cpu" + adapterMark + " | 1 × 1 | 6.00 | - |",
		"|  |  | torch |  | 7.00 | - |",
		"| binary_search_1 | float32 | torch:cpu |  | 8.00 | - |",
		"and 8 queries at k = 8 (k = [4096] not run: above the 10 rows)",
	} {
		if !strings.Contains(table, want) {
			t.Errorf("the table lacks %q:\n%s", want, table)
		}
	}
}
