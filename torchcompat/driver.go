package torchcompat

import (
	_ "embed"
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/silica-go/silica/engine"
	"github.com/silica-go/silica/internal/shim"
)

// torchSource is the shim's C++ source, compiled at first use.
//
//go:embed csrc/torch_shim.cpp
var torchSource []byte

func init() { engine.Register("torch", driver{}) }

type driver struct{}

// Open opens device "cpu", "cuda", "cuda:N", "mps", or "" for the best
// one libtorch has (cuda, then mps, then cpu).
func (driver) Open(device string) (engine.Backend, error) {
	return New(device)
}

// Devices lists the kinds of device libtorch may have, "cpu", "cuda" (the
// first GPU; "cuda:N" opens another) and "mps" (engine.DeviceLister);
// knowing which this machine has needs libtorch loaded, so opening one may
// fail with engine.ErrUnavailable.
func (driver) Devices() []string { return []string{"cpu", "cuda", "mps"} }

// Backend runs engine plans as libtorch calls, one call an engine op. It
// implements engine.Backend, engine.Capabilities and
// engine.MemoryReporter; it is the backend of the shim mlxcompat uses too.
type Backend = shim.Backend

// New returns a backend on the libtorch device named device (see the
// driver). Without libtorch, a C++ compiler or the device, the error wraps
// engine.ErrUnavailable and says what to install.
func New(device string) (*Backend, error) {
	if err := checkDevice(device); err != nil {
		return nil, err
	}
	lib, err := loader.Load()
	if err != nil {
		return nil, err
	}
	return shim.Open(lib, "torch", device)
}

// checkDevice rejects a malformed device name before anything loads.
func checkDevice(device string) error {
	switch {
	case device == "", device == "cpu", device == "cuda", device == "mps":
		return nil
	case strings.HasPrefix(device, "cuda:"):
		if n, err := strconv.Atoi(device[len("cuda:"):]); err == nil && n >= 0 {
			return nil
		}
	}
	return fmt.Errorf("unknown device %q; want torch:cpu, torch:cuda, torch:cuda:N or torch:mps", device)
}

var loader = &shim.Loader{Name: "torch", EnvShim: EnvShim, Find: func() (*shim.Spec, string, error) {
	lt, err := findLibtorch(os.Getenv, systemLibDirs)
	if err != nil {
		return nil, "", err
	}
	return lt.spec(), "libtorch " + lt.version + " (" + lt.origin + ")", nil
}}

// ShimPath returns the path of the torch shim library: SILICA_TORCH_SHIM
// when set, else the shim built (or found in the cache) for the libtorch
// this machine has.
func ShimPath() (string, error) { return loader.Path() }
