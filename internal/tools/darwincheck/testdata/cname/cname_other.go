//go:build !darwin

package cname

import "unsafe"

// Device is the stub of other platforms.
func Device() unsafe.Pointer { return nil }
