package torchcompat

import (
	"errors"
	"os"
	"testing"

	"github.com/silica-go/silica/engine"
	"github.com/silica-go/silica/engine/backendtest"
	"github.com/silica-go/silica/torchcompat/shim"
	"github.com/silica-go/silica/torchcompat/shim/shimtest"
)

// EnvTestDevice names the environment variable that picks the device the
// tests run on (default cpu), e.g. SILICA_TORCH_DEVICE=cuda.
const EnvTestDevice = "SILICA_TORCH_DEVICE"

func testDevice() string {
	if d := os.Getenv(EnvTestDevice); d != "" {
		return d
	}
	return "cpu"
}

func openTest() (*shim.Backend, error) { return Open(testDevice()) }

func TestBackend(t *testing.T) {
	b := shimtest.Open(t, "libtorch", openTest)
	backendtest.Run(t, "torch:"+testDevice(), b)
}

func TestCompat(t *testing.T) { shimtest.Run(t, "libtorch", openTest) }

// TestRegistry opens the backend by name, as programs do.
func TestRegistry(t *testing.T) {
	shimtest.Open(t, "libtorch", openTest)
	e, err := engine.Open("torch:" + testDevice())
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	if d := e.Device(); d.Backend != "torch" || d.Version == "" {
		t.Errorf("device %+v; want backend torch with a version", d)
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
		t.Errorf("norm of [3 4] on torch: %v, %v; want [5]", v, err)
	}
}

// TestMissingDevice opens the devices this libtorch lacks: each must fail
// with ErrUnavailable, not crash.
func TestMissingDevice(t *testing.T) {
	shimtest.Open(t, "libtorch", openTest)
	for _, d := range []string{"cuda", "cuda:7", "mps"} {
		b, err := Open(d)
		if err == nil {
			t.Logf("this libtorch has %s", d)
			b.Close()
			continue
		}
		if !errors.Is(err, engine.ErrUnavailable) {
			t.Errorf("Open(%q): %v; want ErrUnavailable", d, err)
		}
	}
}
