package metal

import (
	"flag"
	"fmt"
	"os"
	"testing"

	"github.com/silica-go/silica/internal/testenv"
	"github.com/silica-go/silica/kernels/msltest"
)

// TestMain checks, after a full run (no -run filter) with the harness
// available, that the tests launched every kernel of the manifest, and
// prints the package's skip line (testenv.Report).
func TestMain(m *testing.M) {
	flag.Parse()
	code := m.Run()
	if code == 0 && flag.Lookup("test.run").Value.String() == "" {
		if _, err := msltest.Default(); err == nil {
			var missing []string
			for _, k := range allKernels() {
				if _, ok := launched.Load(k.Name); !ok {
					missing = append(missing, k.Name)
				}
			}
			if len(missing) > 0 {
				fmt.Printf("FAIL: %d kernels of the manifest never ran in the tests: %v\n", len(missing), missing)
				code = 1
			}
		}
	}
	os.Exit(testenv.Report(code))
}
