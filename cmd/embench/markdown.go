package main

import (
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
)

// writeMarkdown prints the report as markdown: the machine, the backends
// and peers with their versions, what is unavailable, then one table for
// the array operations and one for the store, and the store's memory.
func writeMarkdown(w io.Writer, rep *Report) {
	m := rep.Machine
	fmt.Fprintf(w, "## embench\n\n")
	fmt.Fprintf(w, "Machine: %s/%s, %s, %d cores, %s memory; %s; silica %s; %s\n\n",
		m.OS, m.Arch, m.CPU, m.Cores, mib(m.MemoryBytes, "GiB"), m.Go, m.Silica, m.Time)
	if m.Load >= 0 {
		fmt.Fprintf(w, "Load average at the start: %.2f", m.Load)
		if m.Load > float64(m.Cores)/2 {
			fmt.Fprintf(w, " (other programs were running: times are noisier and slower than on an idle machine)")
		}
		fmt.Fprintf(w, "\n\n")
	}
	fmt.Fprintf(w, "Command: `%s`\n\n", m.Command)
	if rep.Interrupted != "" {
		fmt.Fprintf(w, "**Partial: the run was stopped (%s); these are the cases that finished.**\n\n", rep.Interrupted)
	}

	fmt.Fprintf(w, "| backend | device | version |\n|---|---|---|\n")
	for _, b := range rep.Backends {
		fmt.Fprintf(w, "| %s | %s | %s |\n", b.Name, cell(b.DeviceName), cell(b.Version))
	}
	for _, p := range rep.Peers {
		fmt.Fprintf(w, "| %s | %s | %s %s |\n", p.Name, cell(p.Python), p.Name, p.Version)
	}
	if len(rep.Unavailable) > 0 {
		fmt.Fprintf(w, "\nNot measured:\n\n")
		for _, u := range rep.Unavailable {
			fmt.Fprintf(w, "- %s: %s\n", u.Name, shorten(oneLine(u.Reason), 300))
		}
	}

	results := rep.sorted()
	var seed, store, enc []Result
	for _, r := range results {
		switch {
		case isEncodeScenario(r.Scenario):
			enc = append(enc, r)
		case isStoreScenario(r.Scenario):
			store = append(store, r)
		default:
			seed = append(seed, r)
		}
	}
	c := rep.Config
	if len(results) > 0 {
		fmt.Fprintf(w, "\n%s\n", statsText(c))
	}
	if len(seed) > 0 {
		fmt.Fprintf(w, "\n### Array operations (float32)\n\n")
		fmt.Fprintf(w, "Wall time from Go of one run: build the lazy graph, Eval, Synchronize the device, free the outputs; "+
			"the results stay on the device, not read back to the host (NumPy's are in host memory already). "+
			"Every answer was checked against the CPU backend before it was timed.\n\n")
		fmt.Fprintf(w, "| scenario | size | backend | median ms | p99 ms | spread | reps | vs best | verified |\n")
		fmt.Fprintf(w, "|---|---|---|--:|--:|--:|--:|--:|---|\n")
		writeRows(w, seed, false, nil)
		writeHostNote(w, seed)
	}
	if len(store) > 0 {
		fmt.Fprintf(w, "\n### The store: %dx%d, top-%d by %s%s\n\n", c.Docs, c.Dim, c.K, c.Metric, largeKHeading(c))
		fmt.Fprintf(w, "Through package store: store_add is store.New and Append of every row (conversion to the storage dtype, normalizing); "+
			"store_search_B is one SearchBatch of B queries, hits back on the host; store_search_B_kK is one SearchBatch of B queries for the top K; "+
			"binary_search_1 searches the same rows as sign-bit codes by Hamming distance (package hamming, a kernel added through engine.NewKernel), "+
			"one query at a time, hits back on the host, with its recall@10 against the exact float32 answer. "+
			"The median is end to end, what a user of each library gets: for the engine backends the store's call, queries from the host and hits back on the host; "+
			"for numpy, faiss and torch (plain PyTorch in Python: rows a tensor on the device, each search moves the queries there, normalizes, q @ x.T, torch.topk, .cpu()) "+
			"the same work as their users write it. Kernel only is the engine's own scan of the same search (TopK(MatMul(Normalize(q), xᵀ)), one fused scan_topk, "+
			"for k+1 results as the store asks its scan, to see ties at the k-th place) "+
			"on rows and queries already on the device, nothing read back, verified like the row's answer before it was timed. "+
			"Rows marked %q are Silica's store on a library's engine adapter, not the library as its users call it.\n\n", strings.TrimSpace(adapterMark))
		fmt.Fprintf(w, "Devices × shards is how a search's store spreads its rows (store.Options.Devices and Shards): "+
			"1 × 1 is the plain store; more shards are searched at once and their top k merged on the host.\n\n")
		fmt.Fprintf(w, "| scenario | dtype | backend | devices × shards | median ms (end to end) | kernel only ms | p99 ms | spread | reps | queries/s | vs best | verified |\n")
		fmt.Fprintf(w, "|---|---|---|--:|--:|--:|--:|--:|--:|--:|--:|---|\n")
		writeRows(w, store, true, adapters(rep))
		writeHostNote(w, store)
		writeMemory(w, store)
	}
	if len(enc) > 0 {
		writeEncode(w, rep, enc)
	}
	if len(rep.Skipped) > 0 {
		fmt.Fprintf(w, "\nNot run by design:\n\n")
		seen := map[string]bool{}
		for _, s := range rep.Skipped {
			line := fmt.Sprintf("- %s, %s: %s", s.Backend, s.DType, s.Reason)
			if !seen[line] {
				seen[line] = true
				fmt.Fprintln(w, line)
			}
		}
	}
	var bad []Result
	for _, r := range results {
		if r.Status != statusOK {
			bad = append(bad, r)
		}
	}
	if len(bad) > 0 {
		fmt.Fprintf(w, "\nWrong or failed (not timed):\n\n")
		for _, r := range bad {
			fmt.Fprintf(w, "- %s %s %s on %s: %s: %s\n", r.Scenario, r.DType, r.Size, r.Backend, r.Status, oneLine(r.Error))
		}
	}
	fmt.Fprintln(w)
}

// writeRows prints result rows, the scenario and size only where they
// change. A store table has the kernel-only and queries/s columns, and
// marks the backends of adapter.
func writeRows(w io.Writer, rows []Result, store bool, adapter map[string]bool) {
	prev := ""
	for _, r := range rows {
		key := r.Scenario + "|" + r.DType + "|" + r.Size
		name, second := r.Scenario, r.Size
		if store {
			second = r.DType
		}
		if key == prev {
			name, second = "", ""
		}
		prev = key
		verified := "yes"
		if r.RecallAt10 != nil {
			verified = fmt.Sprintf("yes (recall@10 %.2f)", *r.RecallAt10)
		}
		if !r.Verified {
			verified = "**" + r.Status + "**"
		}
		be := backendCell(r)
		if store && adapter[r.Backend] && strings.HasPrefix(r.Scenario, "store_") {
			be += adapterMark
		}
		fmt.Fprintf(w, "| %s | %s | %s |", name, second, be)
		if store {
			fmt.Fprintf(w, " %s |", layoutCell(r))
		}
		fmt.Fprintf(w, " %s |", ms(r.MedianMS))
		if store {
			fmt.Fprintf(w, " %s |", ms(r.KernelMS))
		}
		fmt.Fprintf(w, " %s | %s | %s |", tail(r), spread(r), reps(r))
		if store {
			fmt.Fprintf(w, " %s |", qps(r.QueriesPerS))
		}
		fmt.Fprintf(w, " %s | %s |\n", ratio(r.RatioToBest), verified)
	}
}

// writeMemory prints the memory the store held on each backend, from its
// first search row.
func writeMemory(w io.Writer, store []Result) {
	var rows []string
	seen := map[string]bool{}
	for _, r := range store {
		if r.ResidentBytes == nil && r.DeviceBytes == nil {
			continue
		}
		k := r.Backend + "|" + r.DType
		if seen[k] {
			continue
		}
		seen[k] = true
		dev, res := growth(r.DeviceBytes), growth(r.ResidentBytes)
		stored := "-"
		if r.StoredBytes != nil {
			stored = mib(*r.StoredBytes, "MiB")
		}
		rows = append(rows, fmt.Sprintf("| %s | %s | %s | %s | %s |", r.DType, r.Backend, stored, res, dev))
	}
	if len(rows) == 0 {
		return
	}
	fmt.Fprintf(w, "\nMemory of the store: the rows' own size; the growth of the process's resident memory while they were added "+
		"(a C allocator that reuses freed memory can hide some); the growth of the device memory the backend holds (pool included), on a freshly opened engine:\n\n")
	fmt.Fprintf(w, "| dtype | backend | rows | resident | device |\n|---|---|--:|--:|--:|\n%s\n", strings.Join(rows, "\n"))
}

// growth formats a measured growth of memory; none (or a shrink, which is
// noise) shows as 0.
func growth(b *int64) string {
	switch {
	case b == nil:
		return "-"
	case *b <= 0:
		return "0"
	}
	return mib(*b, "MiB")
}

// adapterMark follows the backend's name in a store row run by Silica's
// store on an engine adapter over another library (torch:cpu, mlx:cpu).
const adapterMark = " (adapter, through Silica's store)"

// silicaBackends are the engine backends that are Silica's own
// (engine.DeviceInfo.Backend); the others are adapters.
var silicaBackends = []string{"cpu", "cuda", "metal"}

// adapters returns the names of the report's adapter backends.
func adapters(rep *Report) map[string]bool {
	out := map[string]bool{}
	for _, b := range rep.Backends {
		if !slices.Contains(silicaBackends, b.Backend) {
			out[b.Name] = true
		}
	}
	return out
}

// largeKHeading names the large-k cases in the store's heading.
func largeKHeading(c ConfigInfo) string {
	var s string
	if len(c.LargeK) > 0 {
		s = fmt.Sprintf(", and %s queries at k = %s", joinInts(c.LargeKBatches), joinInts(c.LargeK))
	}
	if len(c.LargeKLeftOut) > 0 {
		s += fmt.Sprintf(" (k = %v not run: above the %d rows)", c.LargeKLeftOut, c.Docs)
	}
	return s
}

// joinInts writes v as "1, 64, 1024".
func joinInts(v []int) string {
	s := make([]string, len(v))
	for i, n := range v {
		s[i] = strconv.Itoa(n)
	}
	return strings.Join(s, ", ")
}

// hostFallbackMark follows the backend's name in a row whose plan ran a
// custom kernel's Go function on the host (writeHostNote says what it
// means).
const hostFallbackMark = " (host fallback)"

// backendCell is a row's backend, marked where the backend did not run
// the case itself.
func backendCell(r Result) string {
	if r.HostFallback {
		return r.Backend + hostFallbackMark
	}
	return r.Backend
}

// writeHostNote explains the host-fallback mark under a table that has it.
func writeHostNote(w io.Writer, rows []Result) {
	var names []string
	for _, r := range rows {
		if r.HostFallback && !slices.Contains(names, r.Backend) {
			names = append(names, r.Backend)
		}
	}
	if len(names) == 0 {
		return
	}
	fmt.Fprintf(w, "\n(host fallback): the case's custom kernel has no source for %s, so the engine ran the kernel's Go function "+
		"on the host (engine.NewKernel's fall back) on copies of the buffers: the row times Silica's Go code and those copies, "+
		"not the library.\n", strings.Join(names, ", "))
}

// tail is a row's p99 cell: the 99th percentile where the case has
// p99Samples runs or more, else the slowest run, marked (max).
func tail(r Result) string {
	if r.P99MS != nil && r.Reps < p99Samples {
		return ms(r.MaxMS) + " (max)"
	}
	return ms(r.P99MS)
}

// statsText says how each case was run and what its columns summarise.
func statsText(c ConfigInfo) string {
	minT := c.MinTimeMS / 1e3
	return fmt.Sprintf("Timing: each case, once its answer is checked, gets up to %d warm-up run%s (none once the checked run and they took %gs), then timed runs until there are %d and %gs has passed, "+
		"or %gs with at least 3, or %d runs (store_add: 3 runs; a case whose checked run took over %gs: 1). "+
		"Median of the runs; p99 is the 99th percentile by nearest rank, given for a case of %d runs or more; "+
		"with fewer it is the slowest run, marked (max). Spread is half the interquartile range.",
		c.Warmup, plural(c.Warmup), minT/2, c.MinReps, minT, 4*minT, c.MaxReps, slowCase*4*minT, p99Samples)
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

// ms formats milliseconds to about three significant digits.
func ms(v *float64) string {
	if v == nil {
		return "-"
	}
	x := *v
	switch {
	case x >= 100:
		return fmt.Sprintf("%.0f", x)
	case x >= 10:
		return fmt.Sprintf("%.1f", x)
	case x >= 1:
		return fmt.Sprintf("%.2f", x)
	case x >= 0.1:
		return fmt.Sprintf("%.3f", x)
	}
	return fmt.Sprintf("%.4f", x)
}

func spread(r Result) string {
	if r.IQRMS == nil || r.MedianMS == nil || *r.MedianMS == 0 {
		return "-"
	}
	return fmt.Sprintf("±%.1f%%", *r.IQRMS/2 / *r.MedianMS * 100)
}

func reps(r Result) string {
	if r.Reps == 0 {
		return "-"
	}
	return fmt.Sprint(r.Reps)
}

func ratio(v *float64) string {
	if v == nil {
		return "-"
	}
	if *v < 1.005 {
		return "**1.00×**"
	}
	return fmt.Sprintf("%.2f×", *v)
}

func qps(v *float64) string {
	if v == nil {
		return "-"
	}
	if *v >= 100 {
		return fmt.Sprintf("%.0f", math.Round(*v))
	}
	return fmt.Sprintf("%.1f", *v)
}

// mib formats bytes in MiB or GiB.
func mib(b int64, unit string) string {
	if unit == "GiB" {
		return fmt.Sprintf("%.1f GiB", float64(b)/(1<<30))
	}
	return fmt.Sprintf("%.1f MiB", float64(b)/(1<<20))
}

// cell makes text safe inside a table cell.
func cell(s string) string { return strings.ReplaceAll(oneLine(s), "|", "/") }

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

// shorten cuts s to about n bytes (the JSON report keeps it whole).
func shorten(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return strings.ToValidUTF8(s[:n], "") + "…"
}

// isStoreScenario reports whether a scenario belongs to the store table.
func isStoreScenario(name string) bool {
	return strings.HasPrefix(name, "store_") || strings.HasPrefix(name, "binary_")
}

// layoutCell is a store row's devices × shards: 1 × 1 for a search of the
// plain store, empty for the peers and the other store cases.
func layoutCell(r Result) string {
	switch {
	case r.Devices > 0:
		return fmt.Sprintf("%d × %d", r.Devices, r.Shards)
	case r.Runner == "engine" && strings.HasPrefix(r.Scenario, "store_search"):
		return "1 × 1"
	}
	return ""
}
