// Command cudabench times Silica's CUDA backend on the operations of the
// PyTorch anchors (shared/anchors/torch_cuda.py) and prints a table of
// our times beside PyTorch's, measured on the same card in the same
// command.
//
// Usage:
//
//	cudabench [-torch anchor_torch.json] [-out results.json] [-reps 20] [-only substring]
//	          [-scan default,v4,v5|both|all] [-v4sweep "tiling;..."] [-v5sweep "tiling;..."] [-profile]
//	cudabench -table a.json,b.json
//
// The search rows of 16 queries or more run on tensor cores: with -scan
// both (the default) each is timed with the device's default scan, with
// v4 (mma.sync), and with each v4 tiling of -v4sweep (cuda.Config's
// Tiling, set with SetConfig); -scan all adds v5 (wgmma, Hopper) and the
// tilings of -v5sweep. Each run's ids are checked against the first
// run's; a
// last table puts them side by side with torch. -table prints that table
// from the -out files of several runs.
//
// Each row: warm-up (compilation included), then the median of reps
// timed evaluations, as device time between CUDA events around the run
// (the host's time to plan and launch is reported beside it). Inputs are
// random normal, never zeros. Results are checked against the CPU
// backend's exact answers only by the tests (go test ./cuda); this
// program measures, through the engine: engine.Open("cuda") and the
// backend's engine.Timer.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"runtime/pprof"
	"sort"
	"strings"
	"time"

	"github.com/silica-go/silica/cuda"
	"github.com/silica-go/silica/cuda/cudatest"
	"github.com/silica-go/silica/engine"
)

type row struct {
	Op      string  `json:"op"`
	Torch   string  `json:"torch_op"`
	Ms      float64 `json:"ms"`
	WallMs  float64 `json:"wall_ms"`
	TorchMs float64 `json:"torch_ms,omitempty"`
	Target  float64 `json:"target_ms,omitempty"`
	Note    string  `json:"note,omitempty"`
}

func main() {
	torchPath := flag.String("torch", "", "anchor_torch.json written by torch_cuda.py (optional)")
	outPath := flag.String("out", "", "write the rows as JSON here")
	reps := flag.Int("reps", 20, "timed repetitions per row")
	only := flag.String("only", "", "run only rows whose name contains this (or one of these, separated by |)")
	profile := flag.Bool("profile", false, "after timing each row, run it once more with events around every kernel and print where the time goes")
	scanFlag := flag.String("scan", "both", "tensor-core scans to time on the search rows: a list of default (the device's), v4 (mma.sync) and v5 (wgmma), or both (default,v4) or all")
	sweep := flag.String("v4sweep", strings.Join(cudatest.V4Tilings, ";"), "with v4 in -scan: further v4 tilings (SILICA_CUDA_V4 values) to time, separated by ;")
	sweep5 := flag.String("v5sweep", strings.Join(cudatest.V5Tilings, ";"), "with v5 in -scan: further v5 tilings (SILICA_CUDA_V4 values) to time, separated by ;")
	anyKFlag := flag.Bool("anyk", false, "time searches of 1, 8, 64 and 1024 queries with k = 100, 1000 and 4096 over 1M x 768 rows, in each select mode (default, [select]: score and select, [fused]: the fused scans' buffers), instead of the top-100 rows")
	firstUseFlag := flag.String("firstuse", "", "dtype,queries,k: time this process's first search of that shape and a second one (wall, hits read back), and exit")
	rowSweep := flag.String("rowsweep", "", "with -anyk: single-query row-scan tunings to time at k <= 128, \"ru,minb;...\" (rows a warp loads at once, blocks an SM)")
	scoresSweep := flag.String("scoressweep", "", "with -anyk: tunings of the kernel that writes a large-k search's scores to time, \"ru,minb;...\" (as -rowsweep)")
	warmFlag := flag.Bool("warm", false, "with -firstuse: call Engine.Warm before the first search")
	storeFirstFlag := flag.String("storefirst", "", "dir,dtype,queries,k: build a 200K x 768 store in dir if it holds none, else open it on cuda, wait -wait, and time its first SearchBatch of that shape and a second one; then exit")
	waitFlag := flag.Duration("wait", 0, "with -storefirst: time between Open and the first search")
	storeProfFlag := flag.String("storeprof", "", "dtype,rows: a store of that many random 768-d rows on cuda, then the searches of -storesearch: wall time, device time, the kernel-only scan beside it and one search's kernels; then exit")
	encProfFlag := flag.String("encprof", "", "modeldir,texts: encode that many fortunes with the token budgets of -encbudgets in float32 and float16 weights: wall time, documents/s and the kernels of one pass; then exit")
	encBudgetsFlag := flag.String("encbudgets", "512,2048,8192,16384", "with -encprof: token budgets of a batch, comma separated")
	encModesFlag := flag.String("encmodes", "float32,float16,tiled", "with -encprof: the runs, comma separated: float32 and float16 weights, tiled (float16 with the products on the CUDA cores)")
	encKindFlag := flag.String("enckind", "fortunes", "with -encprof: the texts, fortunes (whole fortunes of internal/textcorpus) or lines (short documents: textcorpus.Lines)")
	storeSearchFlag := flag.String("storesearch", "1:100;64:100;1024:100;8:1000", "with -storeprof: searches queries:k[:keep%[a|n]] separated by ; (keep below 100: a Where filter; a: AllowIDs made once, n: made for each search)")
	table := flag.String("table", "", "print the side-by-side table of the search rows of these -out files (comma separated) and exit; needs no GPU")
	hostCostsFlag := flag.Bool("hostcosts", false, "time the engine calls a store search makes around its kernels (a round trip, an upload, a launch and its wait, reads of hit-sized arrays), then exit")
	goTrace := flag.String("gotrace", "", "with -storeprof: write a Go execution trace (runtime/trace) of each search's timed runs to this file, the search's index before its extension when there are several (the store marks its phases as regions: store.upload, store.build, store.eval, store.slabwait, store.collect, store.slab)")
	cpuProfile := flag.String("cpuprofile", "", "write a Go CPU profile of the run to this file (runtime/pprof): the host's part around the kernels")
	flag.Parse()
	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err == nil {
			err = pprof.StartCPUProfile(f)
		}
		if err != nil {
			fatal(err)
		}
		defer func() {
			pprof.StopCPUProfile()
			f.Close()
		}()
	}
	if *table != "" {
		var all []row
		for _, f := range strings.Split(*table, ",") {
			raw, err := os.ReadFile(f)
			if err != nil {
				fatal(err)
			}
			var rs []row
			if err := json.Unmarshal(raw, &rs); err != nil {
				fatal(fmt.Errorf("%s: %w", f, err))
			}
			all = append(all, rs...)
		}
		printScanTable(all)
		return
	}
	versions, err := scanVersions(*scanFlag)
	if err != nil {
		fatal(err)
	}
	sweeps := map[string]string{"v4": *sweep, "v5": *sweep5}

	torch := map[string]float64{}
	if *torchPath != "" {
		if raw, err := os.ReadFile(*torchPath); err == nil {
			var a struct {
				Rows []struct {
					Op string  `json:"op"`
					Ms float64 `json:"ms"`
				} `json:"rows"`
			}
			if json.Unmarshal(raw, &a) == nil {
				for _, r := range a.Rows {
					torch[r.Op] = r.Ms
				}
			}
		}
	}
	if *storeFirstFlag != "" {
		storeFirst(*storeFirstFlag, *waitFlag)
		return
	}
	e, err := engine.Open("cuda")
	if err != nil {
		fatal(err)
	}
	defer e.Close()
	b, ok := e.Backend().(engine.Timer)
	if !ok {
		fatal(fmt.Errorf("the cuda backend does not time its runs (engine.Timer)"))
	}
	cb, ok := e.Backend().(*cuda.Backend)
	if !ok {
		fatal(fmt.Errorf("engine %q is not the cuda backend", e.Name()))
	}
	if err := b.EnableTiming(true); err != nil {
		fatal(err)
	}
	fmt.Printf("device: %s (%s)\n", e.Device().Name, e.Device().Version)
	if *firstUseFlag != "" {
		firstUse(e, *firstUseFlag, *warmFlag)
		return
	}
	if *encProfFlag != "" {
		encodeProfile(e, cb, *encProfFlag, *encBudgetsFlag, *encKindFlag, *encModesFlag, *reps)
		return
	}
	if *storeProfFlag != "" {
		storeProfile(e, cb, *storeProfFlag, *storeSearchFlag, *reps, *goTrace)
		return
	}
	if *hostCostsFlag {
		hostCosts(e, b, *reps)
		return
	}

	var rows []row
	add := func(r row) {
		r.TorchMs = torch[r.Torch]
		rows = append(rows, r)
		ratio := ""
		if r.TorchMs > 0 {
			ratio = fmt.Sprintf("%.2fx", r.TorchMs/r.Ms)
		}
		fmt.Printf("%-55s %9.4f ms (wall %8.4f)  torch %8.4f  %s %s\n", r.Op, r.Ms, r.WallMs, r.TorchMs, ratio, r.Note)
		if *outPath != "" { // after every row, so that a crash keeps the rows before it
			raw, _ := json.MarshalIndent(rows, "", " ")
			if err := os.WriteFile(*outPath, raw, 0o644); err != nil {
				fatal(err)
			}
		}
	}
	want := func(name string) bool {
		if *only == "" {
			return true
		}
		for _, o := range strings.Split(*only, "|") {
			if strings.Contains(name, o) {
				return true
			}
		}
		return false
	}

	if want("copy") {
		gbs, err := b.CopyBandwidth(1<<32, 10)
		if err != nil {
			fatal(err)
		}
		add(row{Op: "copy 4GiB d2d", Torch: "copy 4GiB d2d", Ms: 2 * float64(1<<32) / gbs / 1e6,
			Note: fmt.Sprintf("%.2f TB/s read+write", gbs/1e3)})
	}
	timeIt := func(name, torchName string, target float64, note string, build func() ([]*engine.Array, error)) {
		if !want(name) {
			return
		}
		var dev, wall []float64
		for i := 0; i < *reps+3; i++ {
			outs, err := build()
			if err != nil {
				fatal(fmt.Errorf("%s: %w", name, err))
			}
			t0 := time.Now()
			if err := e.Eval(outs...); err != nil {
				fatal(fmt.Errorf("%s: %w", name, err))
			}
			w := time.Since(t0).Seconds() * 1e3
			if i >= 3 {
				dev = append(dev, b.LastRunMillis())
				wall = append(wall, w)
			}
			for _, o := range outs {
				o.Free()
			}
		}
		add(row{Op: name, Torch: torchName, Ms: median(dev), WallMs: median(wall), Target: target, Note: note})
		if *profile {
			outs, err := build()
			if err != nil {
				fatal(err)
			}
			if err := b.EnableProfile(true); err != nil {
				fatal(err)
			}
			if err := e.Eval(outs...); err != nil {
				fatal(err)
			}
			p := b.Profile()
			b.EnableProfile(false)
			names := make([]string, 0, len(p))
			for k := range p {
				names = append(names, k)
			}
			sort.Slice(names, func(i, j int) bool { return p[names[i]] > p[names[j]] })
			for _, k := range names {
				fmt.Printf("      %-60s %9.4f ms\n", k, p[k])
			}
			for _, o := range outs {
				o.Free()
			}
		}
	}
	randn := func(seed uint64, dt engine.DType, shape ...int) *engine.Array {
		a, err := e.RandomNormal(seed, dt, shape...)
		if err != nil {
			fatal(err)
		}
		return a
	}
	normalized := func(a *engine.Array) *engine.Array {
		n, err := engine.Normalize(a)
		if err != nil {
			fatal(err)
		}
		if err := n.Eval(); err != nil {
			fatal(err)
		}
		return n
	}

	if want("matmul") {
		x, y := randn(1, engine.Float32, 1024, 1024), randn(2, engine.Float32, 1024, 1024)
		timeIt("matmul 1024x1024 fp32", "matmul 1024x1024 fp32 tf32=False", 0, "exact fp32 (SIMT)", func() ([]*engine.Array, error) {
			c, err := engine.MatMul(x, y, false, false)
			return []*engine.Array{c}, err
		})
	}
	if want("cosine") || want("normalize") || want("elementwise") || want("gather") || want("slice") {
		D := randn(3, engine.Float32, 10000, 768)
		q := randn(4, engine.Float32, 1, 768)
		timeIt("cosine 1 query vs 10Kx768 (normalize D each time)", "cosine 1 query vs 10Kx768 (normalize D each time)", 0.1448,
			"fused norm_matmul", func() ([]*engine.Array, error) {
				c, err := engine.Cosine(q, D)
				return []*engine.Array{c}, err
			})
		Dn := normalized(D)
		timeIt("cosine 1 query vs 10Kx768 (D pre-normalized)", "cosine 1 query vs 10Kx768 (D pre-normalized)", 0.0910,
			"fused norm_matmul(normA)", func() ([]*engine.Array, error) {
				nq, err := engine.Normalize(q)
				if err != nil {
					return nil, err
				}
				c, err := engine.MatMul(nq, Dn, false, true)
				return []*engine.Array{c}, err
			})
		X := randn(5, engine.Float32, 100000, 384)
		timeIt("l2 normalize 100Kx384", "l2 normalize 100Kx384", 0.2170, "", func() ([]*engine.Array, error) {
			c, err := engine.Normalize(X)
			return []*engine.Array{c}, err
		})
		a, bb, c := randn(6, engine.Float32, 10000000), randn(7, engine.Float32, 10000000), randn(8, engine.Float32, 10000000)
		timeIt("elementwise a*b+c 10M fp32", "elementwise a*b+c 10M fp32", 0.0971, "one fused kernel", func() ([]*engine.Array, error) {
			p, err := engine.Mul(a, bb)
			if err != nil {
				return nil, err
			}
			s, err := engine.Add(p, c)
			return []*engine.Array{s}, err
		})
		ids := make([]int64, 10000)
		for i := range ids {
			ids[i] = int64((i*7919 + 13) % 100000)
		}
		idx, err := e.FromInt64(ids, 10000)
		if err != nil {
			fatal(err)
		}
		timeIt("gather 10K rows of 100Kx384", "gather 10K rows of 100Kx384", 0.0294, "", func() ([]*engine.Array, error) {
			g, err := engine.Gather(X, idx)
			return []*engine.Array{g}, err
		})
		timeIt("slice rows 1000:51000 of 100Kx384 (contiguous copy)", "slice rows 1000:51000 of 100Kx384 (contiguous copy)", 0,
			"", func() ([]*engine.Array, error) {
				s, err := engine.SliceRows(X, 1000, 51000)
				return []*engine.Array{s}, err
			})
		D.Free()
		Dn.Free()
		X.Free()
		a.Free()
		bb.Free()
		c.Free()
	}
	if *anyKFlag {
		var tunings, scores []string
		if *rowSweep != "" {
			tunings = strings.Split(*rowSweep, ";")
		}
		if *scoresSweep != "" {
			scores = strings.Split(*scoresSweep, ";")
		}
		anyK(e, cb, []int{1, 8, 64, 1024}, []int{100, 1000, 4096}, tunings, scores, want, timeIt, randn, normalized)
	}
	targets := map[string]float64{"fp32 1": 1.10, "fp16 1": 0.56, "fp32 64": 1.5, "fp32 1024": 11, "fp16 1024": 3.3}
	for _, dt := range []engine.DType{engine.Float32, engine.Float16} {
		name := map[engine.DType]string{engine.Float32: "fp32", engine.Float16: "fp16"}[dt]
		wanted := false
		for _, bq := range []int{1, 64, 1024} {
			for _, sv := range scanRuns(versions, bq >= 16, sweeps) {
				wanted = wanted || want(fmt.Sprintf("top-100 over 1Mx768 %s, %d queries%s", name, bq, sv.suffix()))
			}
		}
		if !wanted || *anyKFlag {
			continue
		}
		E := normalized(randn(10+uint64(dt), dt, 1000000, 768))
		for _, bq := range []int{1, 64, 1024} {
			Q := normalized(randn(20+uint64(bq), dt, bq, 768))
			label := fmt.Sprintf("top-100 over 1Mx768 %s, %d queries", name, bq)
			search := func() ([]*engine.Array, error) {
				s, err := engine.MatMul(Q, E, false, true)
				if err != nil {
					return nil, err
				}
				v, i, err := engine.TopK(s, 100, true)
				return []*engine.Array{v, i}, err
			}
			target := targets[fmt.Sprintf("%s %d", name, bq)]
			// The tensor-core scans (16 queries or more): the default, v4
			// and v4's other tilings, each checked against the first's ids.
			var ref []int64
			for _, sv := range scanRuns(versions, bq >= 16, sweeps) {
				if err := cb.SetConfig(cuda.Config{Scan: sv.version, Tiling: sv.tiling}); err != nil {
					fatal(fmt.Errorf("%s %s: %w", label, sv, err))
				}
				if !want(label + sv.suffix()) {
					continue
				}
				ids, err := searchIDs(search)
				if err != nil {
					fatal(fmt.Errorf("%s %s: %w", label, sv, err))
				}
				note := "fused scan_topk"
				if ref == nil {
					ref = ids
				} else {
					note = fmt.Sprintf("ids = first run's in %d/%d queries", sameSets(ref, ids, 100), bq)
				}
				timeIt(label+sv.suffix(), label, target, note, search)
			}
			if err := cb.SetConfig(cuda.Config{}); err != nil {
				fatal(err)
			}
			Q.Free()
		}
		E.Free()
	}

	if r, ok := e.Backend().(interface{ Refined() int64 }); ok {
		fmt.Printf("\nqueries the TF32 scan searched again exactly: %d\n", r.Refined())
	}
	fmt.Println()
	fmt.Println("| operation | silica cuda (ms) | torch (ms) | torch / silica | target (ms) | note |")
	fmt.Println("|---|---|---|---|---|---|")
	for _, r := range rows {
		ratio, tgt := "-", "-"
		if r.TorchMs > 0 {
			ratio = fmt.Sprintf("%.2fx", r.TorchMs/r.Ms)
		}
		if r.Target > 0 {
			tgt = fmt.Sprintf("%.3g", r.Target)
		}
		torchS := "-"
		if r.TorchMs > 0 {
			torchS = fmt.Sprintf("%.4f", r.TorchMs)
		}
		fmt.Printf("| %s | %.4f | %s | %s | %s | %s |\n", r.Op, r.Ms, torchS, ratio, tgt, r.Note)
	}
	printScanTable(rows)
	if *outPath != "" {
		raw, _ := json.MarshalIndent(rows, "", " ")
		if err := os.WriteFile(*outPath, raw, 0o644); err != nil {
			fatal(err)
		}
	}
}

func median(v []float64) float64 {
	s := append([]float64(nil), v...)
	sort.Float64s(s)
	if len(s) == 0 {
		return 0
	}
	return s[len(s)/2]
}

func fatal(err error) {
	fmt.Fprintln(os.Stderr, "cudabench:", err)
	os.Exit(1)
}
