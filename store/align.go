package store

import "unsafe"

// uintptrOf returns the address of b's first byte (len(b) > 0), to test
// alignment before the backend views the bytes as wider elements.
func uintptrOf(b []byte) uintptr { return uintptr(unsafe.Pointer(&b[0])) }
