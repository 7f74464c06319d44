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
// resetPeak returned base, or 0 if unknown.
func peakSince(base int64) int64 {
	for _, line := range strings.Split(readFile("/proc/self/status"), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			if err == nil && kb*1024 > base {
				return kb*1024 - base
			}
		}
	}
	return 0
}
