package mlxcompat

import (
	"errors"
	"testing"

	"github.com/silica-go/silica/engine"
	"github.com/silica-go/silica/engine/backendtest"
	"github.com/silica-go/silica/internal/shim/shimtest"
)

// EnvTestDevice names the environment variable that picks the device the
// tests run on (default cpu), e.g. SILICA_MLX_DEVICE=gpu.
const EnvTestDevice = "SILICA_MLX_DEVICE"

func openTest() (*Backend, error) { return New(shimtest.Device(EnvTestDevice, "cpu")) }

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
	shimtest.MissingDevices(t, "mlx", New, "gpu")
	if _, err := New("metal"); err == nil || errors.Is(err, engine.ErrUnavailable) {
		t.Errorf("New(metal): %v; want an unknown-device error", err)
	}
	// Every device the driver lists opens or is absent: none is unknown.
	listed, ok := engine.Devices("mlx")
	if !ok || len(listed) == 0 {
		t.Errorf(`engine.Devices("mlx") = %q, %v; want the driver's devices`, listed, ok)
	}
	for _, d := range listed {
		b, err := New(d)
		if err == nil {
			b.Close()
		} else if !errors.Is(err, engine.ErrUnavailable) {
			t.Errorf("listed device %q: %v; want it to open, or ErrUnavailable", d, err)
		}
	}
}
