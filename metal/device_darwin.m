// The one Metal call darwinkit v0.5.0 does not wrap: MTLCreateSystemDefaultDevice
// is a C function, not an Objective-C method. See device_darwin.go.
#import <Metal/Metal.h>

void *silicaSystemDefaultDevice(void) {
	// MTLCreateSystemDefaultDevice follows the Create rule: the device is
	// returned retained, and the Go side releases it in Backend.Close.
	return (void *)MTLCreateSystemDefaultDevice();
}
