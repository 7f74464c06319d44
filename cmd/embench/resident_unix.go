//go:build unix

package main

import (
	"runtime"
	"syscall"
)

// peakResident returns the peak resident memory from getrusage (bytes on
// macOS, KiB elsewhere), -1 on failure.
func peakResident() int64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return -1
	}
	if runtime.GOOS == "darwin" {
		return int64(ru.Maxrss)
	}
	return int64(ru.Maxrss) * 1024
}
