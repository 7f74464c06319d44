package main

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"os"
	"strconv"
)

// writeJSON writes the report to path (schema in doc.go).
func writeJSON(path string, rep *Report) error {
	b, err := json.MarshalIndent(rep, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(b, '\n'), 0o644)
}

// csvHeader names the CSV columns: the JSON result fields.
var csvHeader = []string{
	"scenario", "backend", "dtype", "size", "median_ms", "p99_ms", "ratio_to_best", "verified",
	"runner", "status", "reps", "min_ms", "max_ms", "iqr_ms", "queries_per_s",
	"stored_bytes", "resident_bytes", "device_bytes", "plan", "error", "host_fallback", "recall_at_10",
	"kernel_median_ms", "kernel_p99_ms", "kernel_reps", "kernel_plan", "devices", "shards",
	"docs_per_s", "tokens_per_s", "add_ms", "search_ms", "search_p99_ms", "peak_bytes", "min_cosine",
}

// writeCSV writes one line per result to path, empty cells for absent
// values.
func writeCSV(path string, rep *Report) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	w := csv.NewWriter(f)
	w.Write(csvHeader)
	for _, r := range rep.Results {
		w.Write([]string{
			r.Scenario, r.Backend, r.DType, r.Size, num(r.MedianMS), num(r.P99MS), num(r.RatioToBest),
			strconv.FormatBool(r.Verified), r.Runner, r.Status, strconv.Itoa(r.Reps),
			num(r.MinMS), num(r.MaxMS), num(r.IQRMS), num(r.QueriesPerS),
			integer(r.StoredBytes), integer(r.ResidentBytes), integer(r.DeviceBytes), r.Plan, r.Error,
			strconv.FormatBool(r.HostFallback), num(r.RecallAt10),
			num(r.KernelMS), num(r.KernelP99MS), kernelReps(r), r.KernelPlan, count(r.Devices), count(r.Shards),
			num(r.DocsPerS), num(r.TokensPerS), num(r.AddMS), num(r.SearchMS), num(r.SearchP99MS), integer(r.PeakBytes),
			num(r.MinCosine),
		})
	}
	w.Flush()
	if err := w.Error(); err != nil {
		f.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	return f.Close()
}

// kernelReps is the kernel_reps cell: empty where there is no kernel-only
// time.
func kernelReps(r Result) string {
	if r.KernelMS == nil {
		return ""
	}
	return strconv.Itoa(r.KernelReps)
}

func num(v *float64) string {
	if v == nil {
		return ""
	}
	return strconv.FormatFloat(*v, 'g', 6, 64)
}

func integer(v *int64) string {
	if v == nil {
		return ""
	}
	return strconv.FormatInt(*v, 10)
}

// count is a CSV cell of a count, empty when zero (absent).
func count(n int) string {
	if n == 0 {
		return ""
	}
	return strconv.Itoa(n)
}
