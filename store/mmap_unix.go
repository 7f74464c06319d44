//go:build unix

package store

import (
	"fmt"
	"os"
	"syscall"
)

// mapFile maps the first size bytes of f read-only and shared, so that the
// pages come from the page cache and are shared with other processes
// reading the same store.
func mapFile(f *os.File, size int64) (*mapping, error) {
	if size <= 0 || int64(int(size)) != size {
		return nil, fmt.Errorf("cannot map %d bytes", size)
	}
	b, err := syscall.Mmap(int(f.Fd()), 0, int(size), syscall.PROT_READ, syscall.MAP_SHARED)
	if err != nil {
		return nil, fmt.Errorf("mmap %s: %w", f.Name(), err)
	}
	return &mapping{data: b, refs: 1, mapped: true}, nil
}

func unmap(b []byte) { _ = syscall.Munmap(b) }

// canMap says mapFile maps files here (rather than reading them).
const canMap = true
