package par

import (
	"testing"

	"github.com/silica-go/silica/internal/testenv"
)

func TestMain(m *testing.M) { testenv.Main(m) }
