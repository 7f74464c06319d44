// Package cname calls a C function by a name its preamble does not
// declare: FakeImportC alone accepts it, the preamble check does not.
package cname

// void *silicaNewDevice(void);
// int silicaCount;
import "C"

import "unsafe"

// Device returns a device pointer.
func Device() unsafe.Pointer {
	_ = C.silicaCount + C.int(1)
	return unsafe.Pointer(C.silicaNewDevise()) // planted: the preamble declares silicaNewDevice
}
