package main

import (
	"sync"
	"testing"

	"github.com/silica-go/silica/internal/testenv"
)

// TestMain shares the Python probe among the tests (memoProbe) and prints
// the package's skip line after its tests (testenv.Main).
func TestMain(m *testing.M) {
	probePython = memoProbe(probePython)
	testenv.Main(m)
}

// memoProbe returns probe with its answers kept by interpreter and torch
// device: a probe imports every peer's packages (sentence-transformers
// alone takes seconds), and each test that needs a peer probes once to
// decide whether to skip, then embench probes again. The tests that patch
// peersScript leave its probe as it is; a failed probe is not kept.
func memoProbe(probe func(path, script, torchDevice string) ([]byte, error)) func(path, script, torchDevice string) ([]byte, error) {
	var mu sync.Mutex
	kept := map[[2]string][]byte{}
	return func(path, script, torchDevice string) ([]byte, error) {
		mu.Lock()
		defer mu.Unlock()
		key := [2]string{path, torchDevice}
		if out, ok := kept[key]; ok {
			return out, nil
		}
		out, err := probe(path, script, torchDevice)
		if err == nil {
			kept[key] = out
		}
		return out, err
	}
}
