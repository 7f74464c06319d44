//go:build !unix

package store

import (
	"fmt"
	"io"
	"os"
)

// mapFile reads the file where memory mapping is not available.
func mapFile(f *os.File, size int64) (*mapping, error) {
	b := make([]byte, size)
	if _, err := io.ReadFull(f, b); err != nil {
		return nil, fmt.Errorf("read %s: %w", f.Name(), err)
	}
	return &mapping{data: b, refs: 1}, nil
}

func unmap([]byte) {}

const canMap = false
