package mlxcompat

import (
	"testing"

	"github.com/silica-go/silica/internal/shim/shimtest"
)

// The benchmarks run on SILICA_MLX_DEVICE (default cpu); compare them with
// testdata/peer.py, the same work from Python, on the same machine:
//
//	go test -run XXX -bench . ./mlxcompat
//	python3 mlxcompat/testdata/peer.py cpu

func BenchmarkCosine1x10Kx768(b *testing.B) {
	shimtest.BenchCosine(b, shimtest.Open(b, "mlx", openTest), 1, 10000, 768)
}

func BenchmarkMatMul1024(b *testing.B) {
	shimtest.BenchMatMul(b, shimtest.Open(b, "mlx", openTest), 1024)
}

func BenchmarkSearch100Kx768Top100(b *testing.B) {
	shimtest.BenchSearch(b, shimtest.Open(b, "mlx", openTest), 100000, 768, 100)
}
