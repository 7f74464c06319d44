package main

import (
	"sync"
	"testing"

	"github.com/silica-go/silica/internal/testenv"
)

// TestMain shares the Python probe among the tests (memoProbe) and prints
// the package's skip line after its tests (testenv.Main).
//
// The slow tests, those that start Python peers or build a binary, call
// t.Parallel: they run beside each other once every other test is done.
// run() may run twice at once: its one global, live (the report for an
// interrupt), is written under its lock. The tests that patch a global
// (peersScript, encodePeersScript, wrongRuns) stay sequential, so they
// have put it back before the parallel tests start.
func TestMain(m *testing.M) {
	probePython = memoProbe(probePython)
	testenv.Main(m)
}

// memoProbe returns probe with its answers kept by interpreter and torch
// device: a probe imports every peer's packages (sentence-transformers
// alone takes seconds), and each test that needs a peer probes once to
// decide whether to skip, then embench probes again. The tests that patch
// peersScript leave its probe as it is; a failed probe is not kept. Tests
// running in parallel wait only for a probe of the same key.
func memoProbe(probe func(path, script, torchDevice string) ([]byte, error)) func(path, script, torchDevice string) ([]byte, error) {
	type entry struct {
		sync.Mutex
		out []byte
	}
	var mu sync.Mutex
	kept := map[[2]string]*entry{}
	return func(path, script, torchDevice string) ([]byte, error) {
		key := [2]string{path, torchDevice}
		mu.Lock()
		e := kept[key]
		if e == nil {
			e = &entry{}
			kept[key] = e
		}
		mu.Unlock()
		e.Lock()
		defer e.Unlock()
		if e.out != nil {
			return e.out, nil
		}
		out, err := probe(path, script, torchDevice)
		if err == nil {
			e.out = out
		}
		return out, err
	}
}
