//go:build cgo

package metal

// #cgo LDFLAGS: -framework Metal -framework Foundation -framework CoreGraphics
// void *silicaSystemDefaultDevice(void);
import "C"

import (
	"fmt"
	"unsafe"

	"github.com/progrium/darwinkit/macos/foundation"
	"github.com/progrium/darwinkit/macos/metal"
	"github.com/progrium/darwinkit/objc"

	"github.com/silica-go/silica/engine"
)

// gpu is a Metal device driven through darwinkit: every native call of the
// backend is a method of gpu, mtlBuffer or mtlPipeline.
type gpu struct {
	dev       metal.DeviceObject
	queue     metal.CommandQueueObject
	maxBuffer int                                // the device's maxBufferLength
	libs      []metal.LibraryObject              // released by close
	pipes     []metal.ComputePipelineStateObject // released by close
}

// systemDevice returns the system's default Metal device, retained: the
// GPU of an Apple Silicon Mac. darwinkit does not wrap the C function
// MTLCreateSystemDefaultDevice
// (https://developer.apple.com/documentation/metal/1433401-mtlcreatesystemdefaultdevice),
// so device_darwin.m calls it (falling back to MTLCopyAllDevices) and the
// pointer is wrapped here as a darwinkit DeviceObject. Core Graphics is
// linked because that documentation says a command-line program gets no
// default device without it. Without a Metal device (a virtual machine
// without GPU access) it returns an error wrapping engine.ErrUnavailable.
func systemDevice() (metal.DeviceObject, error) {
	p := unsafe.Pointer(C.silicaSystemDefaultDevice())
	if p == nil {
		return metal.DeviceObject{}, fmt.Errorf("%w: metal: MTLCreateSystemDefaultDevice returned no device (no Metal GPU on this Mac, or a virtual machine without GPU access)", engine.ErrUnavailable)
	}
	return metal.DeviceObject{Object: objc.ObjectFrom(p)}, nil
}

// openGPU opens the default device and a command queue on it.
func openGPU() (*gpu, error) {
	dev, err := systemDevice()
	if err != nil {
		return nil, err
	}
	// The kernels use SIMD-group matrices and SIMD-group functions, which
	// need the Apple7 family (M1 and later, A14 and later); a virtual
	// machine's paravirtual device lacks it.
	// https://developer.apple.com/documentation/metal/mtldevice/3143473-supportsfamily
	if !dev.SupportsFamily(metal.GPUFamilyApple7) {
		name := dev.Name()
		dev.Release()
		return nil, fmt.Errorf("%w: metal: %s is not of the Apple7 GPU family (M1 or later) that the kernels need", engine.ErrUnavailable, name)
	}
	// newCommandQueue: https://developer.apple.com/documentation/metal/mtldevice/1433388-newcommandqueue
	q := dev.NewCommandQueue()
	if q.IsNil() {
		dev.Release()
		return nil, fmt.Errorf("%w: metal: %s: newCommandQueue failed", engine.ErrUnavailable, dev.Name())
	}
	return &gpu{dev: dev, queue: q, maxBuffer: int(dev.MaxBufferLength())}, nil
}

func (g *gpu) info() engine.DeviceInfo {
	var osVersion string
	objc.WithAutoreleasePool(func() {
		osVersion = foundation.ProcessInfo_ProcessInfo().OperatingSystemVersionString()
	})
	return engine.DeviceInfo{
		Backend: "metal",
		Device:  "gpu",
		Name:    g.dev.Name(),
		// recommendedMaxWorkingSetSize: the memory the GPU can use without
		// hurting performance, the budget of a unified-memory GPU.
		// https://developer.apple.com/documentation/metal/mtldevice/2369280-recommendedmaxworkingsetsize
		Memory:  int64(g.dev.RecommendedMaxWorkingSetSize()),
		Unified: g.dev.HasUnifiedMemory(),
		Version: "Metal via github.com/progrium/darwinkit v0.5.0, macOS " + osVersion,
	}
}

func (g *gpu) close() error {
	for _, p := range g.pipes {
		p.Release()
	}
	for _, l := range g.libs {
		l.Release()
	}
	g.libs, g.pipes = nil, nil
	g.queue.Release()
	g.dev.Release()
	return nil
}

// nsError turns the NSError an Objective-C call left in e into a Go error
// (nil if none).
func nsError(e foundation.Error) error {
	if e.IsNil() {
		return nil
	}
	return fmt.Errorf("%s (%s %d)", e.LocalizedDescription(), e.Domain(), e.Code())
}
