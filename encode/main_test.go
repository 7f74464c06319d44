package encode

import (
	"testing"

	_ "github.com/silica-go/silica/backends" // SILICA_ENCODE_BACKENDS names any of them
	"github.com/silica-go/silica/internal/testenv"
)

// TestMain prints the package's skip line after its tests (testenv.Main).
func TestMain(m *testing.M) { testenv.Main(m) }
