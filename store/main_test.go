package store

import (
	"testing"

	"github.com/silica-go/silica/internal/testenv"
)

// TestMain prints the package's skip line after its tests (testenv.Main).
// Every search of the tests on a device maps its rows to ids there (the
// tests' k and batches are below mapOnDeviceMin) and builds its hits in
// a hitSlab (below slabMin), in chunks of a query each (prefaultMin); the
// other way is the host arenas' too, which the CPU backend's cases take.
// Filters' bitmaps are made on as many goroutines as there are cores
// (filterGrain), however few the rows.
func TestMain(m *testing.M) {
	mapOnDeviceMin = 1
	slabMin = 1
	prefaultMin = 1
	filterGrain = 1
	testenv.Main(m)
}
