package mlxcompat

import (
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/silica-go/silica/engine"
	"github.com/silica-go/silica/engine/backendtest"
	"github.com/silica-go/silica/torchcompat/shim"
	"github.com/silica-go/silica/torchcompat/shim/shimtest"
)

// EnvTestDevice names the environment variable that picks the device the
// tests run on (default cpu), e.g. SILICA_MLX_DEVICE=gpu.
const EnvTestDevice = "SILICA_MLX_DEVICE"

func testDevice() string {
	if d := os.Getenv(EnvTestDevice); d != "" {
		return d
	}
	return "cpu"
}

func openTest() (*shim.Backend, error) { return Open(testDevice()) }

func TestBackend(t *testing.T) {
	b := shimtest.Open(t, "mlx", openTest)
	backendtest.Run(t, "mlx:"+testDevice(), b)
}

func TestCompat(t *testing.T) { shimtest.Run(t, "mlx", openTest) }

// TestRegistry opens the backend by name, as programs do.
func TestRegistry(t *testing.T) {
	shimtest.Open(t, "mlx", openTest)
	e, err := engine.Open("mlx:" + testDevice())
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	if d := e.Device(); d.Backend != "mlx" || !strings.Contains(d.Version, "MLX_ENABLE_TF32=") {
		t.Errorf("device %+v; want backend mlx, its version and TF32 setting", d)
	}
	x, err := e.FromFloat32([]float32{3, 4}, 1, 2)
	if err != nil {
		t.Fatal(err)
	}
	n, err := engine.Norm(x, 1)
	if err != nil {
		t.Fatal(err)
	}
	if v, err := n.Float32(); err != nil || len(v) != 1 || v[0] != 5 {
		t.Errorf("norm of [3 4] on mlx: %v, %v; want [5]", v, err)
	}
}

// TestMissingDevice opens the GPU where MLX has none: ErrUnavailable, not
// a crash.
func TestMissingDevice(t *testing.T) {
	shimtest.Open(t, "mlx", openTest)
	b, err := Open("gpu")
	if err == nil {
		t.Log("this MLX has a GPU")
		b.Close()
		return
	}
	if !errors.Is(err, engine.ErrUnavailable) {
		t.Errorf("Open(gpu): %v; want ErrUnavailable", err)
	}
	if _, err := Open("metal"); err == nil || errors.Is(err, engine.ErrUnavailable) {
		t.Errorf("Open(metal): %v; want an unknown-device error", err)
	}
}
