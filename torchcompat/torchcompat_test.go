package torchcompat

import (
	"testing"

	"github.com/silica-go/silica/engine/backendtest"
	"github.com/silica-go/silica/internal/shim/shimtest"
)

// EnvTestDevice names the environment variable that picks the device the
// tests run on (default cpu), e.g. SILICA_TORCH_DEVICE=cuda.
const EnvTestDevice = "SILICA_TORCH_DEVICE"

func openTest() (*Backend, error) { return New(shimtest.Device(EnvTestDevice, "cpu")) }

func TestBackend(t *testing.T) {
	b := shimtest.Open(t, "libtorch", openTest)
	backendtest.Run(t, "torch:"+b.Device().Device, b)
}

func TestCompat(t *testing.T) { shimtest.Run(t, "libtorch", openTest) }

func TestRegistry(t *testing.T) {
	shimtest.Registry(t, "libtorch", "torch:"+shimtest.Device(EnvTestDevice, "cpu"), openTest, "libtorch ")
}

func TestMissingDevice(t *testing.T) {
	shimtest.Open(t, "libtorch", openTest)
	shimtest.MissingDevices(t, "torch", New, "cuda", "cuda:7", "mps")
}
