// Package bad holds one planted type error in a darwin-only file: a
// darwinkit method called with an argument of the wrong type. Only a
// darwin type-check can see it; a Linux build never compiles this file.
package bad

// #cgo LDFLAGS: -framework Metal
// void *newDevice(void);
import "C"

import (
	"unsafe"

	"github.com/progrium/darwinkit/macos/metal"
	"github.com/progrium/darwinkit/objc"
)

// Length allocates a shared buffer of n bytes and returns its length.
func Length(n int) uint {
	d := metal.DeviceObject{Object: objc.ObjectFrom(unsafe.Pointer(C.newDevice()))}
	b := d.NewBufferWithLengthOptions(n, metal.ResourceStorageModeShared) // planted: n is int, the method takes uint
	return b.Length()
}
