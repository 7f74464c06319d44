package safetensors

import (
	"testing"

	"github.com/silica-go/silica/internal/testenv"
)

// TestMain prints the package's skip line after its tests (testenv.Main).
func TestMain(m *testing.M) { testenv.Main(m) }
