package main

import (
	"os"
	"runtime/debug"
	"strconv"
	"strings"
)

// resetPeak returns the Go heap's free pages to the system (else a run
// that reuses them, resident from earlier work, shows no growth), resets
// the kernel's record of the process's peak resident memory (VmHWM;
// writing 5 to /proc/self/clear_refs, Linux 4.0 on) and returns the
// resident memory now, or -1 where it cannot.
func resetPeak() int64 {
	debug.FreeOSMemory()
	if err := os.WriteFile("/proc/self/clear_refs", []byte("5"), 0); err != nil {
		return -1
	}
	return processResident()
}

// peakSince returns the growth of the peak resident memory since
// resetPeak returned base (0 when it did not grow), or -1 if unknown.
func peakSince(base int64) int64 {
	if base < 0 {
		return -1
	}
	for _, line := range strings.Split(readFile("/proc/self/status"), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			if err == nil {
				return max(0, kb*1024-base)
			}
		}
	}
	return -1
}
