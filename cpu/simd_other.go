//go:build !amd64 && !arm64

package cpu

import "github.com/silica-go/silica/engine"

// useSIMD reports false: this architecture has no assembly kernels yet, so
// the portable Go ones stay installed.
func useSIMD() bool { return false }

// archRowKernel returns nil: without direct row kernels the scan
// converts blocks of rows and uses the float32 kernels.
func archRowKernel(dt engine.DType, l2 bool) rowFunc { return nil }

// archPairDot returns nil: no two-row kernel here.
func archPairDot() pairFunc { return nil }
