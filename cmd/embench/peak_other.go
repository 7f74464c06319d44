//go:build !linux

package main

// resetPeak is unsupported here: the peak resident memory of a run is
// unknown.
func resetPeak() int64 { return -1 }

func peakSince(int64) int64 { return -1 }
