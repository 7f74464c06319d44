//go:build cgo

package metal

import (
	"fmt"
	"os"
	"runtime"
	"unsafe"

	"github.com/progrium/darwinkit/macos/metal"
	"github.com/progrium/darwinkit/objc"
)

// mtlBuffer is an MTLBuffer in shared storage: host and GPU see the same
// memory (unified memory), so Write and Read are plain copies and nothing
// is copied at dispatch.
type mtlBuffer struct {
	obj  metal.BufferObject
	data []byte // host view of the usable bytes
	off  int    // where data begins inside obj (wrapped memory starts on a page)
	pin  runtime.Pinner
}

func (b *mtlBuffer) bytes() []byte { return b.data }

// sharedOptions: shared storage (CPU and GPU address the same pages) with
// the default CPU cache mode; hazards between dispatches are tracked by
// the backend, which places memory barriers itself.
const sharedOptions = metal.ResourceStorageModeShared | metal.ResourceCPUCacheModeDefaultCache

func (g *gpu) newBuffer(n int) (devBuffer, error) {
	if n > g.maxBuffer {
		return nil, fmt.Errorf("metal: buffer of %d bytes exceeds the device's maxBufferLength %d", n, g.maxBuffer)
	}
	// newBufferWithLength:options: zero-fills.
	// https://developer.apple.com/documentation/metal/mtldevice/1433375-newbufferwithlength
	obj := g.dev.NewBufferWithLengthOptions(uint(n), sharedOptions)
	if obj.IsNil() {
		return nil, fmt.Errorf("metal: newBufferWithLength of %d bytes failed (out of memory?)", n)
	}
	data := unsafe.Slice((*byte)(obj.Contents()), n)
	return &mtlBuffer{obj: obj, data: data}, nil
}

// wrap makes an MTLBuffer over data without copying, with
// newBufferWithBytesNoCopy:length:options:deallocator:
// (https://developer.apple.com/documentation/metal/mtldevice/1433382-newbufferwithbytesnocopy),
// which needs a page-aligned pointer and a whole number of pages. The
// buffer therefore covers the pages that hold data, and data starts at an
// offset inside it; the pages before and after are mapped memory of the
// same allocation (a memory-mapped file is mapped in whole pages, and Go's
// heap in pages too) that no kernel touches. Go memory is pinned
// (runtime.Pinner) while the buffer lives, as the GPU keeps its address
// after the call returns; memory-mapped memory needs no pin. Data not
// aligned to 16 bytes, the largest alignment a kernel argument needs, is
// refused (the backend then copies it).
func (g *gpu) wrap(data []byte) (devBuffer, error) {
	start := uintptr(unsafe.Pointer(unsafe.SliceData(data)))
	if start%16 != 0 {
		return nil, fmt.Errorf("metal: host memory at %#x is not 16-byte aligned", start)
	}
	page := uintptr(os.Getpagesize())
	base := start &^ (page - 1)
	end := (start + uintptr(len(data)) + page - 1) &^ (page - 1)
	if int(end-base) > g.maxBuffer {
		return nil, fmt.Errorf("metal: %d bytes of host memory exceed the device's maxBufferLength %d", end-base, g.maxBuffer)
	}
	b := &mtlBuffer{data: data, off: int(start - base)}
	b.pin.Pin(unsafe.SliceData(data))
	// A nil deallocator: the memory stays the caller's. darwinkit's typed
	// method turns a nil Go func into a block, so the selector is sent
	// with objc.Call and an untyped nil. The page address goes as an
	// integer (a pointer and a 64-bit integer pass alike on arm64): it may
	// lie before the Go object that data belongs to, where no Go pointer
	// may point.
	b.obj = objc.Call[metal.BufferObject](g.dev, objc.Sel("newBufferWithBytesNoCopy:length:options:deallocator:"),
		base, uint(end-base), sharedOptions, nil)
	if b.obj.IsNil() {
		b.pin.Unpin()
		return nil, fmt.Errorf("metal: newBufferWithBytesNoCopy of %d bytes at %#x failed", end-base, base)
	}
	return b, nil
}

func (g *gpu) release(db devBuffer) {
	b := db.(*mtlBuffer)
	if !b.obj.IsNil() {
		b.obj.Release()
		b.obj = metal.BufferObject{}
	}
	b.pin.Unpin()
	b.data = nil
}
