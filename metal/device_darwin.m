// The Metal calls darwinkit v0.5.0 does not wrap: MTLCreateSystemDefaultDevice
// and MTLCopyAllDevices are C functions, not Objective-C methods. See
// device_darwin.go. Compiled without ARC (cgo's default): retains and
// releases are written out.
#import <Metal/Metal.h>

// silicaSystemDefaultDevice returns the default Metal device, retained, or
// NULL. A process that draws nothing may get no default device (Apple's
// documentation of MTLCreateSystemDefaultDevice: command-line tools must
// link Core Graphics, which device_darwin.go does); the first device of
// MTLCopyAllDevices is then taken instead.
void *silicaSystemDefaultDevice(void) {
	id<MTLDevice> d = MTLCreateSystemDefaultDevice(); // retained (Create rule)
	if (d == nil) {
		NSArray<id<MTLDevice>> *all = MTLCopyAllDevices(); // retained (Copy rule)
		if (all.count > 0) {
			d = [all[0] retain];
		}
		[all release];
	}
	return (void *)d;
}
