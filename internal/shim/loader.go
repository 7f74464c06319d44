package shim

import (
	"fmt"
	"os"
	"strings"
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
		return "", &contextError{"the shim for " + what, err}
	}
	return path, nil
}

// contextError puts context before err's own text, after the
// "engine: backend unavailable: " that begins it, so that the action at
// the end of err's text stays last.
type contextError struct {
	context string
	err     error
}

func (e *contextError) Error() string {
	msg := e.err.Error()
	if rest, ok := strings.CutPrefix(msg, engine.ErrUnavailable.Error()+": "); ok {
		return engine.ErrUnavailable.Error() + ": " + e.context + ": " + rest
	}
	return e.context + ": " + msg
}

func (e *contextError) Unwrap() error { return e.err }

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
		return nil, fmt.Errorf("%w: %v", engine.ErrUnavailable, err)
	}
	l.lib = lib
	return lib, nil
}
