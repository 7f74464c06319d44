package mlxcompat

import (
	"errors"
	"testing"

	"github.com/silica-go/silica/engine"
	"github.com/silica-go/silica/engine/backendtest"
	"github.com/silica-go/silica/internal/shim"
	"github.com/silica-go/silica/internal/shim/shimtest"
)

// EnvTestDevice names the environment variable that picks the device the
// tests run on (default cpu), e.g. SILICA_MLX_DEVICE=gpu.
const EnvTestDevice = "SILICA_MLX_DEVICE"

func openTest() (*shim.Backend, error) { return Open(shimtest.Device(EnvTestDevice, "cpu")) }

func TestBackend(t *testing.T) {
	b := shimtest.Open(t, "mlx", openTest)
	backendtest.Run(t, "mlx:"+b.Device().Device, b)
}

func TestCompat(t *testing.T) { shimtest.Run(t, "mlx", openTest) }

func TestRegistry(t *testing.T) {
	shimtest.Registry(t, "mlx", "mlx:"+shimtest.Device(EnvTestDevice, "cpu"), openTest, "MLX_ENABLE_TF32=")
}

func TestMissingDevice(t *testing.T) {
	shimtest.Open(t, "mlx", openTest)
	shimtest.MissingDevices(t, "mlx", Open, "gpu")
	if _, err := Open("metal"); err == nil || errors.Is(err, engine.ErrUnavailable) {
		t.Errorf("Open(metal): %v; want an unknown-device error", err)
	}
}
