//go:build !unix

package main

// peakResident is unknown where getrusage is absent.
func peakResident() int64 { return -1 }
