package main

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestJSONSchema checks the documented schema on a real run: the keys and
// their JSON types, which stay stable within a schema version.
func TestJSONSchema(t *testing.T) {
	dir := t.TempDir()
	js, cs, svg, prof := filepath.Join(dir, "r.json"), filepath.Join(dir, "r.csv"), filepath.Join(dir, "r.svg"), filepath.Join(dir, "cpu.pprof")
	var stdout, stderr strings.Builder
	code := run([]string{"--quick", "--quiet", "--backend", "cpu", "--peers", "none", "--docs", "300", "--dtypes", "float32",
		"--scenario", "cosine,gather,store_add,store_search_1", "--json", js, "--csv", cs, "--plot", svg, "--cpuprofile", prof}, &stdout, &stderr)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	if p, err := os.ReadFile(prof); err != nil || len(p) < 2 || p[0] != 0x1f || p[1] != 0x8b {
		t.Errorf("-cpuprofile wrote %d bytes (%v); want a gzipped pprof profile", len(p), err)
	}
	raw, err := os.ReadFile(js)
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	if doc["schema"] != float64(schemaVersion) {
		t.Errorf("schema = %v, want %d", doc["schema"], schemaVersion)
	}
	machine, ok := doc["machine"].(map[string]any)
	if !ok {
		t.Fatalf("machine is %T", doc["machine"])
	}
	for _, k := range []string{"os", "arch", "cpu", "go", "silica", "time", "command"} {
		if s, ok := machine[k].(string); !ok || s == "" {
			t.Errorf("machine.%s = %v, want a non-empty string", k, machine[k])
		}
	}
	if n, ok := machine["cores"].(float64); !ok || n < 1 {
		t.Errorf("machine.cores = %v", machine["cores"])
	}
	for _, k := range []string{"backends", "peers", "unavailable", "results", "skipped"} {
		if _, ok := doc[k].([]any); !ok {
			t.Errorf("%s is %T, want a list (empty, not null, when there is none)", k, doc[k])
		}
	}
	results := doc["results"].([]any)
	if len(results) != 4 {
		t.Fatalf("%d results, want 4", len(results))
	}
	scenarios := map[string]bool{}
	for _, x := range results {
		r := x.(map[string]any)
		for _, k := range []string{"scenario", "backend", "dtype", "size", "runner", "status"} {
			if _, ok := r[k].(string); !ok {
				t.Errorf("result.%s = %v, want a string", k, r[k])
			}
		}
		for _, k := range []string{"median_ms", "p99_ms", "ratio_to_best", "min_ms", "max_ms", "iqr_ms"} {
			if v, ok := r[k].(float64); !ok || !(v >= 0) {
				t.Errorf("%s result.%s = %v, want a number", r["scenario"], k, r[k])
			}
		}
		if r["verified"] != true || r["ratio_to_best"] != 1.0 || r["backend"] != "cpu" {
			t.Errorf("%s: verified %v, ratio %v, backend %v", r["scenario"], r["verified"], r["ratio_to_best"], r["backend"])
		}
		if p99, med := r["p99_ms"].(float64), r["median_ms"].(float64); p99 < med {
			t.Errorf("%s: p99 %g below the median %g", r["scenario"], p99, med)
		}
		scenarios[r["scenario"].(string)] = true
		if r["scenario"] == "store_search_1" {
			if _, ok := r["queries_per_s"].(float64); !ok {
				t.Errorf("store_search_1 has no queries_per_s")
			}
			if _, ok := r["device_bytes"].(float64); !ok {
				t.Errorf("store_search_1 has no device_bytes")
			}
			if r["stored_bytes"] != float64(300*768*4) {
				t.Errorf("store_search_1 stored_bytes = %v, want %d", r["stored_bytes"], 300*768*4)
			}
			if plan, _ := r["plan"].(string); plan == "" {
				t.Errorf("store_search_1 has no plan")
			}
		}
	}
	for _, s := range []string{"cosine", "gather", "store_add", "store_search_1"} {
		if !scenarios[s] {
			t.Errorf("no result for %s", s)
		}
	}

	f, err := os.Open(cs)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 5 || strings.Join(rows[0][:8], ",") != "scenario,backend,dtype,size,median_ms,p99_ms,ratio_to_best,verified" {
		t.Errorf("CSV: %d rows, header %v", len(rows), rows[0])
	}
	if b, err := os.ReadFile(svg); err != nil || !strings.Contains(string(b), "<svg") {
		t.Errorf("plot: %v, %d bytes", err, len(b))
	}
	for _, want := range []string{"## embench", "| cosine | 1000x768 | cpu |", "store_search_1", "Memory of the store"} {
		if !strings.Contains(stdout.String(), want) {
			t.Errorf("the table lacks %q:\n%s", want, stdout.String())
		}
	}
}

func TestRank(t *testing.T) {
	f := func(v float64) *float64 { return &v }
	rep := &Report{Results: []Result{
		{Scenario: "a", DType: "float32", Size: "1", Backend: "x", MedianMS: f(2)},
		{Scenario: "a", DType: "float32", Size: "1", Backend: "y", MedianMS: f(5)},
		{Scenario: "a", DType: "float32", Size: "1", Backend: "z"}, // wrong: untimed
		{Scenario: "a", DType: "float16", Size: "1", Backend: "y", MedianMS: f(4)},
	}}
	rep.rank()
	want := []any{1.0, 2.5, nil, 1.0}
	for i, r := range rep.Results {
		switch {
		case want[i] == nil && r.RatioToBest != nil:
			t.Errorf("result %d: ratio %g, want none", i, *r.RatioToBest)
		case want[i] != nil && (r.RatioToBest == nil || *r.RatioToBest != want[i]):
			t.Errorf("result %d: ratio %v, want %v", i, r.RatioToBest, want[i])
		}
	}
	sorted := rep.sorted()
	if sorted[0].Backend != "x" || sorted[2].Backend != "z" || sorted[3].DType != "float16" {
		t.Errorf("sorted order: %v %v %v %v", sorted[0].Backend, sorted[1].Backend, sorted[2].Backend, sorted[3].DType)
	}
}

func TestList(t *testing.T) {
	t.Parallel()
	var out strings.Builder
	if code := run([]string{"--list"}, &out, &out); code != 0 {
		t.Fatalf("exit %d", code)
	}
	s := out.String()
	if !strings.Contains(s, "cpu") || !strings.Contains(s, "available") || !strings.Contains(s, "Python peers") {
		t.Errorf("--list output:\n%s", s)
	}
}

// TestPartialReport checks what an interrupted run prints: the finished
// cases, ranked, marked partial, in markdown and in the JSON file.
func TestPartialReport(t *testing.T) {
	f := func(v float64) *float64 { return &v }
	var out bytes.Buffer
	path := filepath.Join(t.TempDir(), "partial.json")
	live.Lock()
	live.rep = &Report{Results: []Result{
		{Scenario: "matmul", DType: "float32", Size: "1", Backend: "x", MedianMS: f(2), P99MS: f(3), Verified: true, Status: statusOK},
		{Scenario: "matmul", DType: "float32", Size: "1", Backend: "y", MedianMS: f(4), P99MS: f(5), Verified: true, Status: statusOK},
	}}
	live.cfg, live.stdout, live.stderr = &config{JSON: path}, &out, io.Discard
	live.Unlock()
	defer func() {
		live.Lock()
		live.rep = nil
		live.Unlock()
	}()
	writePartial("terminated")
	if !strings.Contains(out.String(), "Partial: the run was stopped (terminated)") || !strings.Contains(out.String(), "2.00×") {
		t.Fatalf("partial markdown:\n%s", out.String())
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var rep Report
	if err := json.Unmarshal(raw, &rep); err != nil || rep.Interrupted != "terminated" || len(rep.Results) != 2 || *rep.Results[1].RatioToBest != 2 {
		t.Fatalf("partial JSON: %v %+v", err, rep)
	}
}
