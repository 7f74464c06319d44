package main

import (
	"cmp"
	"slices"
)

// schemaVersion is the version of the JSON report's schema (doc.go
// documents it). Fields may be added within a version; none is removed or
// changes meaning.
const schemaVersion = 1

// Report is everything one run measured; --json writes it as is.
type Report struct {
	Schema      int           `json:"schema"`
	Machine     Machine       `json:"machine"`
	Backends    []BackendInfo `json:"backends"`
	Peers       []PeerInfo    `json:"peers"`
	Unavailable []Missing     `json:"unavailable"`
	Config      ConfigInfo    `json:"config"`
	Results     []Result      `json:"results"`
	Skipped     []Skip        `json:"skipped"`
	// Interrupted is set on the partial report printed when a signal
	// stops the run: it holds the cases finished before it.
	Interrupted string `json:"interrupted,omitempty"`
}

// Machine describes the host.
type Machine struct {
	OS          string  `json:"os"`
	Arch        string  `json:"arch"`
	CPU         string  `json:"cpu"`
	Cores       int     `json:"cores"`
	MemoryBytes int64   `json:"memory_bytes"`
	Go          string  `json:"go"`
	Silica      string  `json:"silica"` // the module version or VCS revision embench was built from
	Time        string  `json:"time"`   // RFC 3339, when the run started
	Load        float64 `json:"load"`   // the 1-minute load average then, -1 if unknown
	Command     string  `json:"command"`
}

// BackendInfo describes an engine backend that ran.
type BackendInfo struct {
	Name        string `json:"name"`    // the spec it was opened with: "cpu", "torch:cpu"...
	Backend     string `json:"backend"` // engine.DeviceInfo fields
	Device      string `json:"device"`
	DeviceName  string `json:"device_name"`
	Version     string `json:"version"`
	MemoryBytes int64  `json:"memory_bytes"`
	Unified     bool   `json:"unified"`
}

// PeerInfo describes a Python peer that ran.
type PeerInfo struct {
	Name    string `json:"name"` // "numpy" or "faiss"
	Version string `json:"version"`
	Python  string `json:"python"` // the interpreter's version and path
}

// Missing is a backend or peer that did not run, and why.
type Missing struct {
	Name   string `json:"name"`
	Reason string `json:"reason"`
}

// Skip is a case a backend or peer does not run by design, and why.
type Skip struct {
	Scenario string `json:"scenario"`
	Backend  string `json:"backend"`
	DType    string `json:"dtype"`
	Reason   string `json:"reason"`
}

// ConfigInfo records the settings of the run.
type ConfigInfo struct {
	Quick   bool   `json:"quick"`
	Docs    int    `json:"docs"`
	Dim     int    `json:"dim"`
	K       int    `json:"k"`
	Metric  string `json:"metric"`
	Batches []int  `json:"batches"`
	// LargeK are the k of the store's large-k cases that ran
	// (store_search_B_kK for B of LargeKBatches); LargeKLeftOut those of
	// --large-k above --docs.
	LargeK        []int  `json:"large_k"`
	LargeKBatches []int  `json:"large_k_batches"`
	LargeKLeftOut []int  `json:"large_k_left_out,omitempty"`
	TorchDevice   string `json:"torch_device,omitempty"` // the torch peer's device, where it ran
	// The encode scenarios' texts, queries, model directory and Silica's
	// token budget of a batch (the peers batch peer_batch texts).
	Texts       int     `json:"texts"`
	TextQueries int     `json:"text_queries"`
	TextKind    string  `json:"text_kind,omitempty"`
	Model       string  `json:"model,omitempty"`
	BatchTokens int     `json:"batch_tokens"`
	PeerBatch   int     `json:"peer_batch"`
	Seed        uint64  `json:"seed"`
	MinTimeMS   float64 `json:"min_time_ms"`
	MinReps     int     `json:"min_reps"`
	MaxReps     int     `json:"max_reps"`
	Warmup      int     `json:"warmup"`
}

// Result is one measured (or refused) case. The first eight fields are
// the stable core of the schema; a case whose answer was wrong, or that
// failed, has verified false, an error, and no times.
type Result struct {
	Scenario    string   `json:"scenario"`
	Backend     string   `json:"backend"`
	DType       string   `json:"dtype"`
	Size        string   `json:"size"`
	MedianMS    *float64 `json:"median_ms"`
	P99MS       *float64 `json:"p99_ms"`
	RatioToBest *float64 `json:"ratio_to_best"`
	Verified    bool     `json:"verified"`

	Runner        string   `json:"runner"` // "engine" or "python"
	Status        string   `json:"status"` // "ok", "wrong" (failed the check) or "error" (did not run)
	Error         string   `json:"error,omitempty"`
	Reps          int      `json:"reps"`
	MinMS         *float64 `json:"min_ms"`
	MaxMS         *float64 `json:"max_ms"`
	IQRMS         *float64 `json:"iqr_ms"`
	QueriesPerS   *float64 `json:"queries_per_s,omitempty"`
	StoredBytes   *int64   `json:"stored_bytes,omitempty"` // the size of the store's rows as stored: N·dim·dtype size
	ResidentBytes *int64   `json:"resident_bytes,omitempty"`
	DeviceBytes   *int64   `json:"device_bytes,omitempty"`
	Plan          string   `json:"plan,omitempty"`
	HostFallback  bool     `json:"host_fallback,omitempty"` // the plan ran a custom kernel's Go function on the host
	RecallAt10    *float64 `json:"recall_at_10,omitempty"`  // binary_search_1: against the exact float32 top 10
	MinCosine     *float64 `json:"min_cosine,omitempty"`    // encode scenarios: the lowest cosine with the reference's embedding
	// Devices and Shards (per device) lay out a store search case's
	// store; absent for the plain store on one device.
	Devices int `json:"devices,omitempty"`
	Shards  int `json:"shards,omitempty"`

	// The kernel-only time of a store search on an engine backend: the
	// engine's scan on rows and queries already on the device, nothing
	// read back (verified like the row's own answer before it is timed).
	KernelMS    *float64 `json:"kernel_median_ms,omitempty"`
	KernelP99MS *float64 `json:"kernel_p99_ms,omitempty"`
	KernelReps  int      `json:"kernel_reps,omitempty"`
	KernelPlan  string   `json:"kernel_plan,omitempty"`

	// The encode scenarios: documents and tokens encoded per second
	// (encode: over the median run; encode_store: documents/s of
	// store.New, encoding and adding, over the median of that part, in
	// add_ms); encode_store's median and p99 ms of one query (encoding
	// it and searching), and the largest growth of the process's peak
	// resident memory during a run.
	DocsPerS    *float64 `json:"docs_per_s,omitempty"`
	TokensPerS  *float64 `json:"tokens_per_s,omitempty"`
	AddMS       *float64 `json:"add_ms,omitempty"`
	SearchMS    *float64 `json:"search_ms,omitempty"`
	SearchP99MS *float64 `json:"search_p99_ms,omitempty"`
	PeakBytes   *int64   `json:"peak_bytes,omitempty"`
}

// Result statuses.
const (
	statusOK    = "ok"
	statusWrong = "wrong"
	statusError = "error"
)

// setTimes fills the timing fields from samples in milliseconds.
func (r *Result) setTimes(ms []float64, queries int) {
	s := summarize(ms)
	r.Reps = s.Reps
	r.MedianMS, r.P99MS, r.MinMS, r.MaxMS, r.IQRMS = &s.Median, &s.P99, &s.Min, &s.Max, &s.IQR
	if queries > 0 && s.Median > 0 {
		qps := float64(queries) / s.Median * 1e3
		r.QueriesPerS = &qps
	}
}

// rank sets ratio_to_best: each timed result's median over the smallest
// median of its scenario, dtype and size.
func (rep *Report) rank() {
	type key struct{ scenario, dtype, size string }
	best := map[key]float64{}
	for _, r := range rep.Results {
		if r.MedianMS == nil {
			continue
		}
		k := key{r.Scenario, r.DType, r.Size}
		if b, ok := best[k]; !ok || *r.MedianMS < b {
			best[k] = *r.MedianMS
		}
	}
	for i := range rep.Results {
		r := &rep.Results[i]
		if r.MedianMS == nil {
			r.RatioToBest = nil
			continue
		}
		ratio := 1.0
		if b := best[key{r.Scenario, r.DType, r.Size}]; b > 0 {
			ratio = *r.MedianMS / b
		}
		r.RatioToBest = &ratio
	}
}

// sorted returns the results grouped by scenario, dtype and size in the
// order they ran, fastest first within a group, untimed last.
func (rep *Report) sorted() []Result {
	order := map[string]int{}
	for _, r := range rep.Results {
		k := r.Scenario + "\x00" + r.DType + "\x00" + r.Size
		if _, ok := order[k]; !ok {
			order[k] = len(order)
		}
	}
	out := slices.Clone(rep.Results)
	slices.SortStableFunc(out, func(a, b Result) int {
		ka, kb := order[a.Scenario+"\x00"+a.DType+"\x00"+a.Size], order[b.Scenario+"\x00"+b.DType+"\x00"+b.Size]
		if ka != kb {
			return cmp.Compare(ka, kb)
		}
		switch {
		case a.MedianMS == nil && b.MedianMS == nil:
			return 0
		case a.MedianMS == nil:
			return 1
		case b.MedianMS == nil:
			return -1
		}
		return cmp.Compare(*a.MedianMS, *b.MedianMS)
	})
	return out
}
