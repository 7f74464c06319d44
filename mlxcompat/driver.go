package mlxcompat

import (
	_ "embed"
	"fmt"
	"os"
	"sync"

	"github.com/silica-go/silica/engine"
	"github.com/silica-go/silica/torchcompat/shim"
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
	return Open(device)
}

// Open returns a backend on the MLX device named device (see the driver).
// Without MLX, a C++ compiler or the device, the error wraps
// engine.ErrUnavailable and says what to install.
func Open(device string) (*shim.Backend, error) {
	if device != "" && device != "cpu" && device != "gpu" {
		return nil, fmt.Errorf("mlx: unknown device %q (want cpu or gpu)", device)
	}
	lib, err := load()
	if err != nil {
		return nil, err
	}
	return shim.Open(lib, "mlx", device)
}

var (
	loadMu sync.Mutex
	loaded *shim.Lib
)

// load finds MLX, builds the shim (or takes SILICA_MLX_SHIM) and loads
// it, once per process.
func load() (*shim.Lib, error) {
	loadMu.Lock()
	defer loadMu.Unlock()
	if loaded != nil {
		return loaded, nil
	}
	path, err := ShimPath()
	if err != nil {
		return nil, err
	}
	lib, err := shim.Load(path)
	if err != nil {
		return nil, fmt.Errorf("%w: mlx: %v", engine.ErrUnavailable, err)
	}
	loaded = lib
	return lib, nil
}

// ShimPath returns the path of the MLX shim library: SILICA_MLX_SHIM when
// set, else the shim built (or found in the cache) for the MLX this
// machine has.
func ShimPath() (string, error) {
	if p := os.Getenv(EnvShim); p != "" {
		return p, nil
	}
	in, err := findMLX(os.Getenv, prefixes)
	if err != nil {
		return "", err
	}
	path, err := shim.Build(in.spec())
	if err != nil {
		return "", fmt.Errorf("mlx: MLX %s (%s): %w", in.version, in.origin, err)
	}
	return path, nil
}
