package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/silica-go/silica/encode"
	"github.com/silica-go/silica/engine"
	"github.com/silica-go/silica/store"
)

// config is what the command line asks for.
type config struct {
	List    bool
	Quick   bool
	Backend []string // engine backend specs; nil: every one that opens
	Peers   []string // python peers to try: numpy, faiss
	Only    []string // scenario names or group names to run; nil: all

	Docs    int // rows of the store scenario
	Dim     int // row length of the store scenario
	K       int // results per query
	Batches []int
	LargeK  []int // k of the store's large-k cases, as asked
	// LargeKBatches are the query counts of the large-k cases
	// (--large-k-batches, never empty).
	LargeKBatches []int
	DTypes        []engine.DType // storage dtypes of the store scenario
	Metric        store.Metric   // the store scenario's: cosine, dot or l2
	// Devices and Shards lay the store of the search cases out: each
	// device count (1: the measured engine's device; n: the backend's
	// first n devices, store.Options.Devices) with each shard count per
	// device (1 on one device: the plain store).
	Devices, Shards []int
	Seed            uint64

	Policy policy // how long each case is timed

	// TorchDevice is the device of the torch peer: "cpu" or "cuda"; ""
	// picks cuda where PyTorch sees one, else cpu.
	TorchDevice string

	// The encode scenarios: texts encoded (documents), queries of
	// encode_store, the model directory or name (encode.Find), and the
	// encoder's token budget per batch (0: the encoder's default for the
	// device, encode.DefaultBatchTokens on the CPU and
	// encode.DefaultDeviceBatchTokens on a GPU).
	Texts, TextQueries int
	TextKind           string // textFortunes or textLines
	Model              string
	BatchTokens        int

	JSON, CSV, Plot string // output files, "" for none
	CPUProfile      string // a Go CPU profile of the whole run, "" for none
	Quiet           bool   // no progress line

	store *storeData // the store scenario's inputs, made on first use
	text  *textData  // the encode scenarios' inputs, made on first use
	// pythonWhy says why no Python runs (the encode reference needs one).
	pythonWhy string
}

// knownPeers are the Python peers embench can run.
var knownPeers = []string{"numpy", "faiss", "torch", peerST, peerORT}

// Default sizes. The store's default row count is sized so that a whole
// run (every scenario, the CPU backend and both Python peers) takes a
// minute or two on a 2-core machine (85 s measured on the development
// machine, 2026-11-25, with other programs running; 144 s with torch:cpu
// and mlx:cpu too, 2026-12-03, on a busy machine); --docs 1000000 is the
// million the original brief asked for. The quick row count holds the
// largest default large k (4096), so that --quick runs every case.
const (
	defaultDocs  = 10_000
	quickDocs    = 5_000
	defaultK     = 100
	defaultDim   = 768
	defaultTime  = 500 * time.Millisecond
	quickTime    = 20 * time.Millisecond
	defaultBatch = "64,1024"
	defaultLarge = "1000,4096"

	// The encode scenarios: a thousand texts take about 30 s a run on the
	// CPU backend of the 2-core development machine; --quick's 200 about
	// 6 s.
	defaultTexts   = 1000
	quickTexts     = 200
	defaultQueries = 64
	quickQueries   = 16
)

// usage is printed by -h.
const usage = `embench measures Silica's engine backends and their peers on the same work.

Usage: embench [flags]

Every engine backend that opens on this machine (Silica's cpu, cuda, metal
and the torch and mlx adapters) and the Python peers (NumPy; FAISS for the
store scenario) run the same scenarios on the same random inputs. Each
answer is checked against the CPU backend before it is timed; a wrong
answer is reported as wrong and never timed. The table goes to stdout,
progress to stderr.

Flags:
`

// parseFlags reads the command line. Every bad value is an error that names
// the flag; nothing runs. -h or --help writes the usage to help and
// returns flag.ErrHelp.
func parseFlags(args []string, help io.Writer) (*config, error) {
	fs := flag.NewFlagSet("embench", flag.ContinueOnError)
	fs.SetOutput(io.Discard) // errors are returned, printed once by the caller
	fs.Usage = func() {}
	c := &config{}
	var backends, peers, only, batches, large, largeBatches, dtypes, metric, devices, shards string
	var minTime time.Duration
	var docs int
	fs.BoolVar(&c.List, "list", false, "print the backends and peers available here, and why the others are not, then exit")
	fs.BoolVar(&c.Quick, "quick", false, "every scenario at small sizes with short timings (about half a minute; CI uses it)")
	fs.StringVar(&backends, "backend", "all", "comma-separated engine backends to measure (cpu, cuda, metal, torch:cpu, mlx...), all for every one that opens, none for none")
	fs.StringVar(&peers, "peers", "all", "comma-separated Python peers to measure (numpy, faiss, torch), all for those installed, none for none")
	fs.StringVar(&c.TorchDevice, "torch-device", "", "device of the torch peer: cpu or cuda (default cuda where PyTorch sees one, else cpu)")
	fs.StringVar(&only, "scenario", "all", "comma-separated scenarios to run (matmul, cosine, cosine_prenorm, normalize, fma, gather, slice, store_add, store_search_1, store_search_B, store_search_B_kK, binary_search_1, encode, encode_store), or seed, store or encoder for a whole table")
	fs.IntVar(&docs, "docs", 0, fmt.Sprintf("rows of the store scenario (default %d, %d with --quick; 1000000 for a million)", defaultDocs, quickDocs))
	fs.IntVar(&c.Dim, "dim", defaultDim, "row length of the store scenario")
	fs.IntVar(&c.K, "k", defaultK, "results per query of the store scenario")
	fs.StringVar(&batches, "batches", defaultBatch, "comma-separated query batch sizes of the store's throughput cases")
	fs.StringVar(&large, "large-k", defaultLarge, "comma-separated k of the store's large-k cases (store_search_B_kK, B of --large-k-batches), none for none; a k above --docs is not run")
	fs.StringVar(&largeBatches, "large-k-batches", strconv.Itoa(largeKBatch), "comma-separated query counts of the store's large-k cases: with --batches, --k and --large-k, a grid of batch sizes by k in one run")
	fs.StringVar(&dtypes, "dtypes", "float32,float16", "comma-separated storage dtypes of the store scenario (float32, float16, bfloat16)")
	fs.StringVar(&devices, "devices", "1", "comma-separated device counts of the store's search cases: 1 is the measured backend's device, n > 1 its first n devices (store.Options.Devices)")
	fs.StringVar(&shards, "shards", "1", "comma-separated shard counts per device of the store's search cases (store.Options.Shards); 1 on one device is the plain store")
	fs.StringVar(&metric, "metric", "cosine", "metric of the store scenario: cosine, dot or l2")
	fs.Uint64Var(&c.Seed, "seed", 1, "seed of the random inputs")
	fs.DurationVar(&minTime, "time", 0, fmt.Sprintf("least time to measure each case for (default %v, %v with --quick)", defaultTime, quickTime))
	fs.IntVar(&c.Texts, "texts", 0, fmt.Sprintf("texts of the encode scenarios, of --text-kind (default %d, %d with --quick)", defaultTexts, quickTexts))
	fs.IntVar(&c.TextQueries, "text-queries", 0, fmt.Sprintf("queries of encode_store, other texts of --text-kind (default %d, %d with --quick)", defaultQueries, quickQueries))
	fs.StringVar(&c.TextKind, "text-kind", textFortunes, "texts of the encode scenarios: fortunes (whole fortunes; about 40,000) or lines (short documents: distinct lines of the fortunes, then pairs of them; millions, for the seed's scenario of a million documents; past 2,000 texts, the check against sentence-transformers takes a sample of 2,000)")
	fs.StringVar(&c.Model, "model", "", "sentence-transformers model directory, or a name in the local Hugging Face cache, of the encode scenarios (default $SILICA_MODEL_DIR, else all-MiniLM-L6-v2)")
	fs.IntVar(&c.BatchTokens, "batch-tokens", 0, fmt.Sprintf("Silica's encoder: the most tokens of one batch (default %d on the CPU, %d on a GPU)", encode.DefaultBatchTokens, encode.DefaultDeviceBatchTokens))
	fs.StringVar(&c.JSON, "json", "", "also write the results as JSON to this file")
	fs.StringVar(&c.CSV, "csv", "", "also write the results as CSV to this file")
	fs.StringVar(&c.Plot, "plot", "", "also draw the results as a bar chart into this .svg (or .png, .pdf) file")
	fs.StringVar(&c.CPUProfile, "cpuprofile", "", "also write a Go CPU profile of the run (runtime/pprof) to this file: where the host's time goes around the kernels")
	fs.BoolVar(&c.Quiet, "quiet", false, "no progress line on stderr")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fmt.Fprint(help, usage)
			fs.SetOutput(help)
			fs.PrintDefaults()
			return nil, err
		}
		return nil, fmt.Errorf("embench: %w (embench -h lists the flags)", err)
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("embench: unexpected argument %q (every option is a flag; see -h)", fs.Arg(0))
	}

	c.Backend = splitList(backends)
	c.Peers = splitList(peers)
	for _, p := range c.Peers {
		if !slices.Contains(knownPeers, p) {
			return nil, fmt.Errorf("embench: -peers: unknown peer %q (want %s, all or none)", p, strings.Join(knownPeers, ", "))
		}
	}
	c.Only = splitList(only)
	c.Docs = docs
	if c.Docs == 0 {
		c.Docs = defaultDocs
		if c.Quick {
			c.Docs = quickDocs
		}
	}
	if c.Texts == 0 {
		c.Texts = defaultTexts
		if c.Quick {
			c.Texts = quickTexts
		}
	}
	if c.TextQueries == 0 {
		c.TextQueries = defaultQueries
		if c.Quick {
			c.TextQueries = quickQueries
		}
	}
	if c.Model == "" {
		if c.Model = os.Getenv("SILICA_MODEL_DIR"); c.Model == "" {
			c.Model = "all-MiniLM-L6-v2"
		}
	}
	var err error
	if c.Batches, err = parseInts("batches", batches); err != nil {
		return nil, err
	}
	if strings.TrimSpace(large) != "none" {
		if c.LargeK, err = parseInts("large-k", large); err != nil {
			return nil, err
		}
	}
	if c.LargeKBatches, err = parseInts("large-k-batches", largeBatches); err != nil {
		return nil, err
	}
	if c.Devices, err = parseInts("devices", devices); err != nil {
		return nil, err
	}
	if c.Shards, err = parseInts("shards", shards); err != nil {
		return nil, err
	}
	if c.TextKind != textFortunes && c.TextKind != textLines {
		return nil, fmt.Errorf("embench: -text-kind %q: want %s or %s", c.TextKind, textFortunes, textLines)
	}
	switch c.TorchDevice {
	case "", "cpu", "cuda":
	default:
		return nil, fmt.Errorf("embench: -torch-device: unknown device %q (want cpu or cuda)", c.TorchDevice)
	}
	for _, d := range splitList(dtypes) {
		dt, err := engine.ParseDType(d)
		if err != nil || !dt.IsFloat() {
			return nil, fmt.Errorf("embench: -dtypes: %q is not a float dtype (want float32, float16 or bfloat16)", d)
		}
		c.DTypes = append(c.DTypes, dt)
	}
	if c.Metric, err = store.ParseMetric(metric); err != nil {
		return nil, fmt.Errorf("embench: -metric: unknown metric %q (want cosine, dot or l2)", metric)
	}
	switch {
	case c.Dim < 1:
		return nil, fmt.Errorf("embench: -dim %d: want at least 1", c.Dim)
	case c.K < 1:
		return nil, fmt.Errorf("embench: -k %d: want at least 1", c.K)
	case c.Docs < 1:
		return nil, fmt.Errorf("embench: -docs %d: want at least 1", c.Docs)
	case c.Texts < 1:
		return nil, fmt.Errorf("embench: -texts %d: want at least 1", c.Texts)
	case c.TextQueries < 1:
		return nil, fmt.Errorf("embench: -text-queries %d: want at least 1", c.TextQueries)
	case c.BatchTokens < 0:
		return nil, fmt.Errorf("embench: -batch-tokens %d: want at least 1 (0: the encoder's default)", c.BatchTokens)
	case c.K > c.Docs:
		return nil, fmt.Errorf("embench: -k %d is more than -docs %d: a top-k needs at least k rows", c.K, c.Docs)
	case minTime < 0:
		return nil, fmt.Errorf("embench: -time %v: want a positive duration", minTime)
	}
	if err := checkOnly(c.Only, c); err != nil {
		return nil, err
	}
	c.Policy = defaultPolicy(c.Quick, minTime)
	return c, nil
}

// splitList splits a comma-separated flag value. "all" (or "") gives nil,
// meaning everything; "none" gives an empty, non-nil list.
func splitList(s string) []string {
	s = strings.TrimSpace(s)
	switch s {
	case "", "all":
		return nil
	case "none":
		return []string{}
	}
	var out []string
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f != "" && !slices.Contains(out, f) {
			out = append(out, f)
		}
	}
	return out
}

func parseInts(name, s string) ([]int, error) {
	var out []int
	for _, f := range splitList(s) {
		n, err := strconv.Atoi(f)
		if err != nil || n < 1 {
			return nil, fmt.Errorf("embench: -%s: %q is not a positive integer", name, f)
		}
		if !slices.Contains(out, n) {
			out = append(out, n)
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("embench: -%s: want at least one size", name)
	}
	return out, nil
}

// checkOnly checks the -scenario names against the scenarios that exist.
func checkOnly(only []string, c *config) error {
	known := append([]string{"seed", "store", encoderTable}, seedNames...)
	known = append(known, encodeNames...)
	known = append(known, storeNames(c)...)
	known = append(known, "binary_search_1")
	for _, n := range only {
		for _, k := range c.LargeK {
			for _, b := range c.LargeKBatches {
				if n == largeKName(b, k) && k > c.Docs {
					return fmt.Errorf("embench: -scenario %s: k %d is more than -docs %d: a top-k needs at least k rows", n, k, c.Docs)
				}
			}
		}
		if !slices.Contains(known, n) {
			return fmt.Errorf("embench: -scenario: unknown scenario %q (want one of %s)", n, strings.Join(known, ", "))
		}
	}
	return nil
}

// selected reports whether the scenario named name (of the table group)
// is to run.
func (c *config) selected(group, name string) bool {
	if c.Only == nil {
		return true
	}
	return slices.Contains(c.Only, group) || slices.Contains(c.Only, name)
}
