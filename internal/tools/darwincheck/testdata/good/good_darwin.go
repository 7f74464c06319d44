// Package good is correct darwin-only cgo code over darwinkit's Metal
// bindings: darwincheck must accept it.
package good

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
	b := d.NewBufferWithLengthOptions(uint(n), metal.ResourceStorageModeShared)
	return b.Length()
}
