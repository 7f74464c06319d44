package engine

import (
	"fmt"
	"os"
	"sort"
	"strings"
	"sync"
)

// Driver opens backends of one kind. Backend packages register a Driver in
// their init function, as database/sql drivers do.
type Driver interface {
	// Open opens the named device of this kind ("" for the default one,
	// else for example "1" for cuda:1 or "mps" for torch:mps). Without the
	// device or its library it returns an error wrapping ErrUnavailable
	// that says what to install.
	Open(device string) (Backend, error)
}

// DeviceLister is implemented by drivers that can name their devices, so
// that a program can open each (embench measures every device of every
// driver); the engine finds it by type assertion (see Devices).
type DeviceLister interface {
	// Devices returns the names Open takes for this driver's devices, in
	// the driver's order, each once: "0", "1" for cuda's GPUs; "cpu",
	// "cuda", "mps" for torch. A driver that would have to load its library
	// to know may list a device this machine lacks: opening that one fails
	// with an error wrapping ErrUnavailable that says what is missing.
	Devices() []string
}

// EnvBackend names the environment variable that overrides Default's
// choice, e.g. SILICA_BACKEND=cpu or SILICA_BACKEND=torch:cuda.
const EnvBackend = "SILICA_BACKEND"

// DefaultOrder is the order in which Default tries backends.
var DefaultOrder = []string{"metal", "cuda", "cpu"}

var (
	driversMu sync.RWMutex
	drivers   = map[string]Driver{}
)

// Register makes a driver available under name. It panics if name is
// empty, contains ':', or is registered twice, or if d is nil.
func Register(name string, d Driver) {
	driversMu.Lock()
	defer driversMu.Unlock()
	if d == nil {
		panic("engine: Register driver is nil")
	}
	if name == "" || strings.Contains(name, ":") {
		panic(fmt.Sprintf("engine: invalid driver name %q", name))
	}
	if _, dup := drivers[name]; dup {
		panic("engine: Register called twice for driver " + name)
	}
	drivers[name] = d
}

// Drivers returns the registered driver names, sorted.
func Drivers() []string {
	driversMu.RLock()
	defer driversMu.RUnlock()
	names := make([]string, 0, len(drivers))
	for n := range drivers {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// Devices returns the devices the named driver lists (DeviceLister), and
// whether it lists them: false for an unknown driver or one that does not
// implement DeviceLister, whose only device is then its default ("").
func Devices(driver string) (devices []string, listed bool) {
	driversMu.RLock()
	d := drivers[driver] // nil, and so no DeviceLister, when unknown
	driversMu.RUnlock()
	l, ok := d.(DeviceLister)
	if !ok {
		return nil, false
	}
	return l.Devices(), true
}

// SplitName splits a backend name such as "torch:mps" into the driver
// ("torch") and the device ("mps"); the device is "" when absent.
func SplitName(spec string) (driver, device string) {
	driver, device, _ = strings.Cut(strings.TrimSpace(spec), ":")
	return driver, device
}

// Open opens an engine on the backend named spec: a driver name,
// optionally followed by ':' and a device ("cpu", "cuda", "cuda:1",
// "torch:mps", "mlx"). An unknown name fails with the list of registered
// ones.
func Open(spec string) (*Engine, error) { return open(spec, "") }

// open is Open; from, if not "", says where spec came from.
func open(spec, from string) (*Engine, error) {
	name, device := SplitName(spec)
	driversMu.RLock()
	d, ok := drivers[name]
	driversMu.RUnlock()
	if !ok {
		registered := "none registered"
		if len(Drivers()) > 0 {
			registered = "registered: " + strings.Join(Drivers(), ", ")
		}
		if from != "" {
			from = " from " + from
		}
		action := "import github.com/silica-go/silica/backends to register every backend"
		if name == "metal" {
			action = "metal registers only in a darwin build with cgo; there, " + action
		}
		return nil, fmt.Errorf("engine: unknown backend %q%s (%s); %s", spec, from, registered, action)
	}
	b, err := d.Open(device)
	if err != nil {
		return nil, &openError{spec: spec, from: from, err: err}
	}
	return newEngine(spec, b), nil
}

// openError is Open's failure: `engine: open "spec": ` and the driver's
// error, whose own "engine: " (ErrUnavailable's) is not repeated.
type openError struct {
	spec, from string // from: where spec came from ("SILICA_BACKEND"), or ""
	err        error
}

func (e *openError) Error() string {
	from := ""
	if e.from != "" {
		from = " (from " + e.from + ")"
	}
	return fmt.Sprintf("engine: open %q%s: %s", e.spec, from, strings.TrimPrefix(e.err.Error(), "engine: "))
}

func (e *openError) Unwrap() error { return e.err }

// Default opens the best backend available: the one named by the
// environment variable SILICA_BACKEND when it is set (an error if that one
// fails), else the first of DefaultOrder that is registered and opens.
func Default() (*Engine, error) {
	if spec := os.Getenv(EnvBackend); spec != "" {
		return open(spec, EnvBackend)
	}
	var errs []error
	for _, name := range DefaultOrder {
		driversMu.RLock()
		_, ok := drivers[name]
		driversMu.RUnlock()
		if !ok {
			continue
		}
		e, err := Open(name)
		if err == nil {
			return e, nil
		}
		errs = append(errs, err)
	}
	if len(errs) == 0 {
		return nil, fmt.Errorf("engine: no backend registered; import github.com/silica-go/silica/backends (or .../cpu)")
	}
	return nil, noneOpens(errs)
}

// noneOpens is Default's failure: every backend it tried, on one line.
type noneOpens []error

func (e noneOpens) Error() string {
	parts := make([]string, len(e))
	for i, err := range e {
		parts[i] = strings.TrimPrefix(err.Error(), "engine: ")
	}
	return "engine: no backend opens: " + strings.Join(parts, "; ")
}

func (e noneOpens) Unwrap() []error { return e }
