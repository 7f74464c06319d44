package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/silica-go/silica/cpu"
	"github.com/silica-go/silica/engine"
)

// wrongBackend is the CPU backend with one fault: after every run it adds
// 0.5 to one element of the plan's first float output, as a kernel with a
// small bug would. It counts its runs, so that a test
// can see whether it was timed.
type wrongBackend struct {
	*cpu.Backend
	runs *atomic.Int64
}

// failingBackend fails every run, as a backend missing a kernel does.
type failingBackend struct{ *cpu.Backend }

var wrongRuns atomic.Int64

type fakeDriver struct{ kind string }

func (d fakeDriver) Open(string) (engine.Backend, error) {
	if d.kind == "failing" {
		return failingBackend{newCPU()}, nil
	}
	return wrongBackend{newCPU(), &wrongRuns}, nil
}

func init() {
	engine.Register("fakewrong", fakeDriver{"wrong"})
	engine.Register("fakefailing", fakeDriver{"failing"})
}

func (w wrongBackend) Run(p *engine.Plan, bufs []engine.Buffer) error {
	w.runs.Add(1)
	if err := w.Backend.Run(p, bufs); err != nil {
		return err
	}
	for _, v := range p.Outputs {
		dt := p.Values[v].DType
		if !dt.IsFloat() {
			continue
		}
		off := p.Values[v].Shape.Size() / 2 * dt.Size()
		b := make([]byte, dt.Size())
		if err := w.Read(bufs[v], off, b); err != nil {
			return err
		}
		f := engine.DecodeFloat32(dt, b)
		b, _ = engine.EncodeFloat32(dt, []float32{f[0] + 0.5})
		return w.Write(bufs[v], off, b)
	}
	return nil
}

func (f failingBackend) Run(p *engine.Plan, bufs []engine.Buffer) error {
	return fmt.Errorf("%w: fakefailing has no kernel for %s", engine.ErrUnsupported, p.Steps[0].Op)
}

// runJSON runs embench with args plus --json and returns the exit code and
// the decoded report.
func runJSON(t *testing.T, args ...string) (int, *Report, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "out.json")
	var stdout, stderr strings.Builder
	code := run(append(args, "--quiet", "--json", path), &stdout, &stderr)
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("exit %d, no JSON: %v\nstderr: %s", code, err, stderr.String())
	}
	var rep Report
	if err := json.Unmarshal(raw, &rep); err != nil {
		t.Fatal(err)
	}
	return code, &rep, stdout.String()
}

// TestWrongBackendNotTimed is the verify-before-time rule: a backend whose
// answer is wrong is reported unverified, with no times, and is never run
// again after the one evaluation that was checked.
func TestWrongBackendNotTimed(t *testing.T) {
	wrongRuns.Store(0)
	code, rep, table := runJSON(t, "--quick", "--backend", "cpu,fakewrong,fakefailing", "--peers", "none",
		"--scenario", "matmul,normalize")
	if code != exitWrong {
		t.Errorf("exit %d, want %d (some case wrong)", code, exitWrong)
	}
	if got := wrongRuns.Load(); got != 2 {
		t.Errorf("the wrong backend ran %d times, want 2 (one verification run per case, no timing)", got)
	}
	seen := map[string]int{}
	for _, r := range rep.Results {
		seen[r.Backend]++
		switch r.Backend {
		case "cpu":
			if !r.Verified || r.Status != statusOK || r.MedianMS == nil || r.Reps < 3 {
				t.Errorf("cpu %s: verified %t, status %s, median %v, reps %d", r.Scenario, r.Verified, r.Status, r.MedianMS, r.Reps)
			}
			if *r.RatioToBest != 1 {
				t.Errorf("cpu %s: the only timed backend has ratio %g, want 1", r.Scenario, *r.RatioToBest)
			}
		case "fakewrong", "fakefailing":
			want := map[string]string{"fakewrong": statusWrong, "fakefailing": statusError}[r.Backend]
			if r.Verified || r.Status != want || r.MedianMS != nil || r.P99MS != nil || r.RatioToBest != nil || r.Reps != 0 {
				t.Errorf("%s %s: verified %t, status %s, median %v, p99 %v, ratio %v, reps %d: want unverified, %s, untimed",
					r.Backend, r.Scenario, r.Verified, r.Status, r.MedianMS, r.P99MS, r.RatioToBest, r.Reps, want)
			}
			if r.Error == "" {
				t.Errorf("%s %s: no error says why", r.Backend, r.Scenario)
			}
		}
	}
	if seen["cpu"] != 2 || seen["fakewrong"] != 2 || seen["fakefailing"] != 2 {
		t.Errorf("results per backend %v, want 2 each", seen)
	}
	if !strings.Contains(table, "wrong answer, not timed") || !strings.Contains(table, "**wrong**") {
		t.Errorf("the table does not say the answer was wrong:\n%s", table)
	}
}

// TestWrongSearchNotTimed runs the store's search cases on the faulty
// backend: its stored rows and its scores are off, and no search is timed.
func TestWrongSearchNotTimed(t *testing.T) {
	code, rep, _ := runJSON(t, "--quick", "--docs", "700", "--dtypes", "float16", "--backend", "cpu,fakewrong", "--peers", "none",
		"--scenario", "store_add,store_search_1,store_search_64", "--batches", "64")
	if code != exitWrong {
		t.Errorf("exit %d, want %d", code, exitWrong)
	}
	n := 0
	for _, r := range rep.Results {
		if r.Backend != "fakewrong" {
			continue
		}
		n++
		if r.Verified || r.Status != statusWrong || r.MedianMS != nil {
			t.Errorf("fakewrong %s: verified %t, status %s, median %v", r.Scenario, r.Verified, r.Status, r.MedianMS)
		}
	}
	if n != 3 {
		t.Errorf("%d fakewrong results, want 3", n)
	}
}
