package mlxcompat

import (
	_ "embed"
	"fmt"
	"os"

	"github.com/silica-go/silica/engine"
	"github.com/silica-go/silica/internal/shim"
)

// mlxSource is the shim's C++ source, compiled at first use.
//
//go:embed csrc/mlx_shim.cpp
var mlxSource []byte

func init() { engine.Register("mlx", driver{}) }

type driver struct{}

// Open opens device "cpu", "gpu", or "" for the best one MLX has (gpu,
// then cpu).
func (driver) Open(device string) (engine.Backend, error) {
	return New(device)
}

// Devices lists the devices MLX may have, "cpu" and "gpu"
// (engine.DeviceLister); knowing which this machine has needs MLX loaded,
// so opening one may fail with engine.ErrUnavailable.
func (driver) Devices() []string { return []string{"cpu", "gpu"} }

// Backend runs engine plans as MLX calls, one MLX op an engine op, with
// MLX's own lazy evaluation (one eval an engine Run). It implements
// engine.Backend, engine.Capabilities and engine.MemoryReporter; it is the
// backend of the shim torchcompat uses too.
type Backend = shim.Backend

// New returns a backend on the MLX device named device (see the driver).
// Without MLX, a C++ compiler or the device, the error wraps
// engine.ErrUnavailable and says what to install.
func New(device string) (*Backend, error) {
	if device != "" && device != "cpu" && device != "gpu" {
		return nil, fmt.Errorf("unknown device %q; want mlx:cpu or mlx:gpu", device)
	}
	lib, err := loader.Load()
	if err != nil {
		return nil, err
	}
	return shim.Open(lib, "mlx", device)
}

var loader = &shim.Loader{Name: "mlx", EnvShim: EnvShim, Find: func() (*shim.Spec, string, error) {
	in, err := findMLX(os.Getenv, prefixes)
	if err != nil {
		return nil, "", err
	}
	return in.spec(), "MLX " + in.version + " (" + in.origin + ")", nil
}}

// ShimPath returns the path of the MLX shim library: SILICA_MLX_SHIM when
// set, else the shim built (or found in the cache) for the MLX this
// machine has.
func ShimPath() (string, error) { return loader.Path() }
