//go:build !amd64 && !arm64

package cpu

import "github.com/silica-go/silica/engine"

// useSIMD reports false: this architecture has no assembly kernels yet, so
// the portable Go ones stay installed.
func useSIMD() bool { return false }

// rowKernel returns nil: without direct row kernels the scan converts
// blocks of rows and uses the float32 kernels.
func rowKernel(dt engine.DType, l2 bool) func(q []float32, x []byte, scale float32) (float32, float32) {
	return nil
}
