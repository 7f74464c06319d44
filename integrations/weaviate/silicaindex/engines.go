package silicaindex

import (
	"fmt"
	"sync"

	"github.com/silica-go/silica/engine"

	// The backends a Weaviate server may name: the CPU everywhere, CUDA
	// through purego (no cgo), Metal on darwin builds with cgo.
	_ "github.com/silica-go/silica/cpu"
	_ "github.com/silica-go/silica/cuda"
	_ "github.com/silica-go/silica/metal"
)

// engines holds the engine of each backend and device spec, shared by every
// index of the process and never closed.
var engines struct {
	sync.Mutex
	m map[string]*engine.Engine
}

// sharedEngine returns the process's engine for a backend and device,
// opening it on first use: engine.Default for an empty backend,
// engine.Open("backend" or "backend:device") otherwise.
func sharedEngine(backend, device string) (*engine.Engine, error) {
	spec := backend
	if device != "" {
		if backend == "" {
			return nil, fmt.Errorf("device %q given without a backend", device)
		}
		spec += ":" + device
	}
	engines.Lock()
	defer engines.Unlock()
	if e, ok := engines.m[spec]; ok {
		return e, nil
	}
	var e *engine.Engine
	var err error
	if spec == "" {
		e, err = engine.Default()
	} else {
		e, err = engine.Open(spec)
	}
	if err != nil {
		return nil, fmt.Errorf("open silica backend %q: %w", spec, err)
	}
	if engines.m == nil {
		engines.m = map[string]*engine.Engine{}
	}
	engines.m[spec] = e
	return e, nil
}
