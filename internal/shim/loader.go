package shim

import (
	"fmt"
	"os"
	"sync"

	"github.com/silica-go/silica/engine"
)

// Loader finds, builds and loads one shim, once per process. The compat
// packages each keep one.
type Loader struct {
	// Name names the shim in errors ("torch", "mlx").
	Name string
	// EnvShim names the environment variable that points at a library
	// built by hand (nothing is then found or compiled).
	EnvShim string
	// Find locates the vendor library on this machine and returns the
	// shim's build and a description of what was found ("libtorch 2.11.0
	// (the torch package of /usr/bin/python3)"). Nothing found is an error
	// wrapping engine.ErrUnavailable.
	Find func() (*Spec, string, error)

	mu  sync.Mutex
	lib *Lib
}

// Path returns the shim library's path: $EnvShim when set, else the
// library Build makes (or finds in its cache) for what Find found.
func (l *Loader) Path() (string, error) {
	if p := os.Getenv(l.EnvShim); p != "" {
		return p, nil
	}
	spec, what, err := l.Find()
	if err != nil {
		return "", err
	}
	path, err := Build(spec)
	if err != nil {
		return "", fmt.Errorf("%s: %s: %w", l.Name, what, err)
	}
	return path, nil
}

// Load returns the loaded shim, building it on first use. Failures wrap
// engine.ErrUnavailable; a failure is not remembered, so a later call
// tries again.
func (l *Loader) Load() (*Lib, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.lib != nil {
		return l.lib, nil
	}
	path, err := l.Path()
	if err != nil {
		return nil, err
	}
	lib, err := Load(path)
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %v", engine.ErrUnavailable, l.Name, err)
	}
	l.lib = lib
	return lib, nil
}
