package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime/debug"
	"runtime/pprof"
	"slices"

	_ "github.com/silica-go/silica/backends" // every engine backend of this platform
	"github.com/silica-go/silica/engine"
)

// referenceBackend is the backend every answer is checked against.
const referenceBackend = "cpu"

// Exit codes: 0 every case verified and timed; 1 the run failed; 2 bad
// flags; 3 the run finished but some case was wrong or failed.
const (
	exitFailed = 1
	exitUsage  = 2
	exitWrong  = 3
)

func main() {
	onInterrupt()
	limitMemory()
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// limitMemory sets a soft limit of 60% of the machine's memory on Go's
// heap, unless GOMEMLIMIT sets one: adding a large store makes copies
// (host data, its encoding, device buffers) that the collector should
// reclaim before the heap doubles, as it would by default.
func limitMemory() {
	if os.Getenv("GOMEMLIMIT") != "" {
		return
	}
	if total := memoryTotal(); total > 0 {
		debug.SetMemoryLimit(total / 10 * 6)
	}
}

// startProfile starts a CPU profile into path and returns what stops it.
func startProfile(path string) (stop func(), err error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, fmt.Errorf("-cpuprofile: %w", err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, fmt.Errorf("-cpuprofile %s: %w", path, err)
	}
	return func() { pprof.StopCPUProfile(); f.Close() }, nil
}

// run is the whole command, for tests: it returns the exit code.
func run(args []string, stdout, stderr io.Writer) int {
	c, err := parseFlags(args, stdout)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintln(stderr, err)
		return exitUsage
	}
	if c.List {
		p := newProgress(stderr, c.Quiet)
		p.group = "setup"
		defer p.announce()()
		list(stdout, c)
		return 0
	}
	live.Lock()
	live.cfg, live.stdout, live.stderr = c, stdout, stderr
	live.Unlock()
	if c.CPUProfile != "" {
		stop, err := startProfile(c.CPUProfile)
		if err != nil {
			fmt.Fprintln(stderr, "embench:", err)
			return exitFailed
		}
		defer stop()
	}
	rep, err := benchmark(c, args, stderr)
	if err != nil {
		fmt.Fprintln(stderr, "embench:", err)
		return exitFailed
	}
	writeMarkdown(stdout, rep)
	for _, out := range []struct {
		path  string
		write func(string, *Report) error
	}{{c.JSON, writeJSON}, {c.CSV, writeCSV}, {c.Plot, writePlot}} {
		if out.path == "" {
			continue
		}
		if err := out.write(out.path, rep); err != nil {
			fmt.Fprintf(stderr, "embench: write %s: %v\n", out.path, err)
			return exitFailed
		}
	}
	bad := 0
	for _, r := range rep.Results {
		if r.Status != statusOK {
			bad++
		}
	}
	if bad > 0 {
		fmt.Fprintf(stderr, "embench: %d of %d cases wrong or failed (see the table)\n", bad, len(rep.Results))
		return exitWrong
	}
	return 0
}

// benchmark opens the backends and peers the configuration selects, runs
// every group, and returns the ranked report.
func benchmark(c *config, args []string, stderr io.Writer) (*Report, error) {
	rep := &Report{
		Schema: schemaVersion, Machine: machineInfo(args),
		Backends: []BackendInfo{}, Peers: []PeerInfo{}, Unavailable: []Missing{},
		Results: []Result{}, Skipped: []Skip{},
		Config: ConfigInfo{
			Quick: c.Quick, Docs: c.Docs, Dim: c.Dim, K: c.K, Metric: c.Metric.String(), Batches: c.Batches, Seed: c.Seed,
			LargeK: largeKRun(c), LargeKBatches: c.LargeKBatches, LargeKLeftOut: largeKLeftOut(c),
			Texts: c.Texts, TextQueries: c.TextQueries, TextKind: c.TextKind, BatchTokens: c.BatchTokens, PeerBatch: peerBatch,
			MinTimeMS: float64(c.Policy.MinTime.Microseconds()) / 1e3, MinReps: c.Policy.MinReps, MaxReps: c.Policy.MaxReps, Warmup: c.Policy.Warmup,
		},
	}
	live.Lock()
	live.rep = rep
	live.Unlock()
	ref, err := engine.Open(referenceBackend)
	if err != nil {
		return nil, fmt.Errorf("the CPU backend, which every answer is checked against, does not open: %w", err)
	}
	ref.Close()

	prog := newProgress(stderr, c.Quiet)
	defer prog.announce()()
	prog.group = "setup"
	prog.show("opening the engine backends")
	open, missing := openBackends(c.Backend)
	defer closeBackends(open)
	rep.Unavailable = append(rep.Unavailable, missing...)
	for _, b := range open {
		rep.Backends = append(rep.Backends, backendInfo(b))
	}
	b := &bench{cfg: c, backends: open, rep: rep, prog: prog}

	encoding := c.selected(encoderTable, "encode") || c.selected(encoderTable, "encode_store")
	if c.Peers == nil || len(c.Peers) > 0 || encoding {
		prog.show("starting the Python peers")
		py, err := findPython(c.TorchDevice)
		if err != nil {
			c.pythonWhy = err.Error()
			if c.Peers == nil || len(c.Peers) > 0 {
				rep.Unavailable = append(rep.Unavailable, Missing{"python peers", err.Error()})
			}
		} else {
			defer py.close()
			b.py = py
			if c.text == nil {
				c.text = &textData{}
			}
			c.text.py = py // the encode scenarios' reference runs in it
			for _, p := range knownPeers {
				if c.Peers != nil && !slices.Contains(c.Peers, p) || slices.Contains(encodePeers, p) && !encoding {
					continue
				}
				if v, ok := py.mods[p]; ok {
					b.peers = append(b.peers, p)
					if p == "torch" {
						rep.Config.TorchDevice = py.torchDevice
					}
					rep.Peers = append(rep.Peers, PeerInfo{p, v, "Python " + py.version + " " + py.path})
				} else {
					rep.Unavailable = append(rep.Unavailable, Missing{p, py.why[p]})
				}
			}
			b.procs = map[string]*peerProc{}
			for _, p := range b.peers {
				proc, err := py.start()
				if err != nil {
					return nil, err
				}
				defer proc.close()
				b.procs[p] = proc
			}
		}
	}
	if len(open) == 0 && len(b.peers) == 0 {
		return nil, fmt.Errorf("nothing to measure: no engine backend opened and no Python peer is available (try --list)")
	}
	b.run()
	if c.text != nil {
		rep.Config.Model = c.text.model
	}
	rep.rank()
	return rep, nil
}
