package cpu

import (
	"testing"

	"github.com/silica-go/silica/engine/backendtest"
)

func TestBackend(t *testing.T) { backendtest.Run(t, "cpu", New()) }
