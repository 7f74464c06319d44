//go:build unix

package safetensors

import (
	"os"
	"syscall"
)

// mapFile maps the first size bytes of f read-only and shared, so that the
// weights come from the page cache and are shared with other processes.
func mapFile(f *os.File, size int64) ([]byte, bool, error) {
	if int64(int(size)) != size {
		return nil, false, syscall.EFBIG
	}
	b, err := syscall.Mmap(int(f.Fd()), 0, int(size), syscall.PROT_READ, syscall.MAP_SHARED)
	if err != nil {
		return nil, false, err
	}
	return b, true, nil
}

func unmap(b []byte) { _ = syscall.Munmap(b) }
