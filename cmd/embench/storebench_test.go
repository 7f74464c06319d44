package main

import (
	"fmt"
	"io"
	"slices"
	"strings"
	"testing"

	"github.com/silica-go/silica/engine"
	"github.com/silica-go/silica/internal/errtext"
)

// TestStoreKernelOnly runs the store's searches on the CPU backend under
// every metric, a large-k case among them, at both dtypes: each row is
// verified and timed end to end and kernel only, and the table shows the
// two side by side.
func TestStoreKernelOnly(t *testing.T) {
	for _, metric := range []string{"cosine", "dot", "l2"} {
		t.Run(metric, func(t *testing.T) {
			code, rep, table := runJSON(t, "--quick", "--docs", "1100", "--backend", "cpu", "--peers", "none", "--metric", metric,
				"--batches", "64", "--large-k", "1000", "--scenario", "store_search_1,store_search_8_k1000")
			if code != 0 {
				t.Fatalf("exit %d:\n%s", code, table)
			}
			got := map[string]bool{}
			for _, r := range rep.Results {
				got[r.Scenario+" "+r.DType] = true
				if !r.Verified || r.MedianMS == nil || r.KernelMS == nil || r.KernelReps < 1 || !strings.Contains(r.KernelPlan, "scan_topk") {
					t.Errorf("%s %s: verified %t, median %v, kernel only %v (%d reps, plan %q)",
						r.Scenario, r.DType, r.Verified, r.MedianMS, r.KernelMS, r.KernelReps, r.KernelPlan)
				}
			}
			for _, want := range []string{"store_search_1 float32", "store_search_8_k1000 float32", "store_search_1 float16", "store_search_8_k1000 float16"} {
				if !got[want] {
					t.Errorf("no result for %s: %v", want, got)
				}
			}
			if !slices.Equal(rep.Config.LargeK, []int{1000}) {
				t.Errorf("config large_k %v, want [1000]", rep.Config.LargeK)
			}
			if !strings.Contains(table, "| median ms (end to end) | kernel only ms |") {
				t.Errorf("the table has no end-to-end and kernel-only columns side by side:\n%s", table)
			}
		})
	}
}

// TestKernelOnlyWrongNotTimed gives the store's search cases a kernel-only
// form whose answer is off: the row is reported wrong, with neither time,
// and the kernel-only timing loop never runs.
func TestKernelOnlyWrongNotTimed(t *testing.T) {
	c, err := parseFlags([]string{"--quick", "--docs", "300", "--dtypes", "float32", "--batches", "8", "--large-k", "none",
		"--scenario", "store_search_1,store_search_8"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	g := storeSearchGroup(c, engine.Float32, layout{1, 1})
	timed := 0
	for _, cs := range g.Cases {
		kernel := cs.Kernel
		cs.Kernel = func(e *engine.Engine, state any) (*prepared, error) {
			p, err := kernel(e, state)
			if err != nil || p == nil {
				t.Fatalf("kernel-only set-up: %v, %v", p, err)
			}
			out := p.output
			p.output = func() ([]tensor, error) {
				res, err := out()
				if err == nil {
					res[0].F32[len(res[0].F32)/2] += 0.5
				}
				return res, err
			}
			p.run = func(int) error { timed++; return nil }
			return p, nil
		}
	}
	open, missing := openBackends([]string{"cpu"})
	if len(missing) > 0 {
		t.Fatal(missing)
	}
	defer closeBackends(open)
	b := &bench{cfg: c, backends: open, rep: &Report{}, prog: newProgress(io.Discard, true)}
	b.runGroup(g)
	if len(b.rep.Results) != 2 {
		t.Fatalf("%d results, want 2", len(b.rep.Results))
	}
	for _, r := range b.rep.Results {
		if r.Verified || r.Status != statusWrong || r.MedianMS != nil || r.KernelMS != nil || r.Reps != 0 {
			t.Errorf("%s: verified %t, status %s, median %v, kernel only %v: want wrong and untimed", r.Scenario, r.Verified, r.Status, r.MedianMS, r.KernelMS)
		}
		if !strings.HasPrefix(r.Error, "kernel only: wrong answer, not timed: ") {
			t.Errorf("%s: error %q does not say the kernel-only answer was wrong", r.Scenario, r.Error)
		}
	}
	if timed != 0 {
		t.Errorf("the wrong kernel-only cases were timed (%d runs)", timed)
	}
}

// TestLargeKAboveDocs: a --large-k above --docs does not run and the
// report says so; naming its case is an error.
func TestLargeKAboveDocs(t *testing.T) {
	c, err := parseFlags([]string{"--docs", "3000"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(largeKRun(c), []int{1000}) || !slices.Equal(largeKLeftOut(c), []int{4096}) {
		t.Errorf("--docs 3000: large k run %v, left out %v; want [1000] and [4096]", largeKRun(c), largeKLeftOut(c))
	}
	names := storeNames(c)
	if !slices.Contains(names, "store_search_8_k1000") || slices.Contains(names, "store_search_8_k4096") {
		t.Errorf("store cases %v", names)
	}
	_, err = parseFlags([]string{"--docs", "3000", "--scenario", "store_search_8_k4096"}, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "k 4096 is more than -docs 3000") {
		t.Errorf("naming a large-k case above --docs: %v", err)
	}
	if err != nil {
		if bad := errtext.Check(err.Error(), ""); bad != nil {
			t.Errorf("%q: %s", err, strings.Join(bad, "; "))
		}
	}
	c, err = parseFlags([]string{"--quick"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(largeKRun(c), []int{1000, 4096}) {
		t.Errorf("--quick runs large k %v, want every default one", largeKRun(c))
	}
	if c, err = parseFlags([]string{"--large-k", "none"}, io.Discard); err != nil || len(c.LargeK) != 0 {
		t.Errorf("--large-k none: %v, %v", c.LargeK, err)
	}
	for _, bad := range [][]string{{"--large-k", "0"}, {"--torch-device", "mps"}} {
		if _, err := parseFlags(bad, io.Discard); err == nil {
			t.Errorf("%v: no error", bad)
		}
	}
}

// TestStoreLayouts runs the store's searches with --shards 1,3 and
// --devices 1,2 on the CPU backend: the 3-shard rows are verified and
// timed with their layout (and no kernel-only time), and the 2-device
// ones fail with a one-line error, the cpu backend listing one device.
func TestStoreLayouts(t *testing.T) {
	code, rep, table := runJSON(t, "--quick", "--docs", "700", "--backend", "cpu", "--peers", "none", "--dtypes", "float32",
		"--batches", "64", "--large-k", "none", "--scenario", "store_search_1,store_search_64", "--shards", "1,3", "--devices", "1,2")
	if code == 0 {
		t.Fatalf("exit 0 with the 2-device rows failing:\n%s", table)
	}
	got := map[string]int{}
	for _, r := range rep.Results {
		key := fmt.Sprintf("%s %d×%d", r.Scenario, r.Devices, r.Shards)
		got[key]++
		switch r.Devices {
		case 2:
			if r.Status != statusError || !strings.Contains(r.Error, "backend cpu lists 1 devices; --devices 2 needs that many") {
				t.Errorf("%s: status %s, error %q", key, r.Status, r.Error)
			}
		case 1:
			if !r.Verified || r.MedianMS == nil || r.KernelMS != nil || r.Shards != 3 || !strings.HasSuffix(r.Plan, ", 3 shards on cpu") {
				t.Errorf("%s: verified %t, median %v, kernel only %v, plan %q", key, r.Verified, r.MedianMS, r.KernelMS, r.Plan)
			}
		default:
			if !r.Verified || r.KernelMS == nil {
				t.Errorf("%s (plain): verified %t, kernel only %v", key, r.Verified, r.KernelMS)
			}
		}
	}
	for _, s := range []string{"store_search_1", "store_search_64"} {
		for _, lay := range []string{"0×0", "1×3", "2×1", "2×3"} {
			if got[s+" "+lay] != 1 {
				t.Errorf("%d results for %s %s; want 1 (%v)", got[s+" "+lay], s, lay, got)
			}
		}
	}
	if !strings.Contains(table, "| cpu | 1 × 3 |") {
		t.Errorf("no 1 × 3 row in the table:\n%s", table)
	}
}

// TestStoreGrid runs the store's searches as a grid of batch sizes by k
// in one run (--batches and --k, then --large-k by --large-k-batches) on
// the CPU backend beside NumPy: every case at its own k, the search at
// --k named once, each answer verified against the CPU reference.
func TestStoreGrid(t *testing.T) {
	t.Parallel()
	needPeers(t)
	code, rep, table := runJSON(t, "--quick", "--docs", "1300", "--backend", "cpu", "--peers", "numpy", "--dtypes", "float32",
		"--batches", "1,17", "--k", "10", "--large-k", "10,257", "--large-k-batches", "1,17",
		"--scenario", "store_search_1,store_search_17,store_search_1_k257,store_search_17_k257")
	if code != 0 {
		t.Fatalf("exit %d:\n%s", code, table)
	}
	got := map[string]int{}
	for _, r := range rep.Results {
		got[r.Scenario]++
		if !r.Verified || r.Status != statusOK || r.MedianMS == nil {
			t.Errorf("%s %s: verified %t, status %s, error %q", r.Backend, r.Scenario, r.Verified, r.Status, r.Error)
		}
		k := "k=10"
		if strings.HasSuffix(r.Scenario, "_k257") {
			k = "k=257"
		}
		if r.Backend == "cpu" && !strings.HasSuffix(r.Plan, k) {
			t.Errorf("%s: plan %q, want a search at %s", r.Scenario, r.Plan, k)
		}
	}
	want := map[string]int{"store_search_1": 2, "store_search_17": 2, "store_search_1_k257": 2, "store_search_17_k257": 2}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("results per case %v, want %v (cpu and numpy each)", got, want)
	}
	if !slices.Equal(rep.Config.LargeKBatches, []int{1, 17}) || !strings.Contains(table, "top-10 by cosine, and 1, 17 queries at k = 10, 257") {
		t.Errorf("config large-k batches %v; the table's heading does not name the grid:\n%s", rep.Config.LargeKBatches, table)
	}
	_, err := parseFlags([]string{"--batches", "17", "--k", "10", "--large-k", "10,257", "--large-k-batches", "1,17", "--scenario", "store_search_17_k10"}, io.Discard)
	if err == nil || !strings.Contains(err.Error(), `unknown scenario "store_search_17_k10"`) {
		t.Errorf("naming the search at --k by its grid name: %v, want it unknown (it is store_search_17)", err)
	}
}
