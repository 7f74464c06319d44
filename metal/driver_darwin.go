//go:build cgo

package metal

import (
	"fmt"

	"github.com/silica-go/silica/engine"
)

func init() { engine.Register("metal", driver{}) }

type driver struct{}

// Open opens the system's default Metal device ("" or "gpu").
func (driver) Open(device string) (engine.Backend, error) {
	if device != "" && device != "gpu" {
		return nil, fmt.Errorf("metal: unknown device %q (the metal backend opens the system's default GPU, \"gpu\")", device)
	}
	return New()
}

// Devices lists the system's default GPU, the one device the backend opens
// (engine.DeviceLister).
func (driver) Devices() []string { return []string{"gpu"} }

// New opens a backend on the system's default Metal device. Without one it
// returns an error wrapping engine.ErrUnavailable.
func New() (*Backend, error) {
	g, err := openGPU()
	if err != nil {
		return nil, err
	}
	return newBackend(g), nil
}
