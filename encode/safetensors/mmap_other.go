//go:build !unix

package safetensors

import (
	"io"
	"os"
)

// mapFile reads the file where memory mapping is not available.
func mapFile(f *os.File, size int64) ([]byte, bool, error) {
	b := make([]byte, size)
	if _, err := io.ReadFull(f, b); err != nil {
		return nil, false, err
	}
	return b, false, nil
}

func unmap([]byte) {}
