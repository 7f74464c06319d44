package mlxcompat

import (
	"errors"
	"os"
	"testing"

	"github.com/silica-go/silica/engine"
	"github.com/silica-go/silica/engine/backendtest"
	"github.com/silica-go/silica/internal/testenv"
	"github.com/silica-go/silica/torchcompat/shim"
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

// open opens the test device, skipping (failing in CI) without MLX.
func open(t *testing.T) *shim.Backend {
	t.Helper()
	b, err := Open(testDevice())
	if errors.Is(err, engine.ErrUnavailable) {
		testenv.Need(t, "mlx", err)
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	t.Logf("mlx:%s: %+v", testDevice(), b.Device())
	return b
}

func TestBackend(t *testing.T) {
	b := open(t)
	backendtest.Run(t, "mlx:"+testDevice(), b)
}
