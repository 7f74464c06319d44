package cpu

import "github.com/silica-go/silica/engine/backendtest"

// poisoned returns a backend of workers goroutines with the test poison
// installed (backendtest.Poison): new buffers, and each step's outputs
// before the step runs, are filled with 0xFF bytes.
func poisoned(workers int) *Backend {
	return &Backend{workers: workers, poison: backendtest.Poison}
}
