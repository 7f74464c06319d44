package shim

import (
	"errors"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync/atomic"
	"unsafe"

	"github.com/silica-go/silica/engine"
)

// Backend is an engine.Backend over a loaded shim, on one device of its
// library. Make one with Open.
//
// Buffers hold one array of the library each. An array is made when a
// buffer is first written or produced by a step, not at Alloc: the
// library's own allocator (PyTorch's caching allocator, MLX's buffer
// cache) manages device memory, as it does for the library's own users,
// and the engine's buffer slots only name where each step's result goes.
type Backend struct {
	lib    *Lib
	ctx    uintptr
	w      *worker
	info   engine.DeviceInfo
	inUse  atomic.Int64
	closed atomic.Bool
}

// buffer is an engine.Buffer: size bytes, held by the array h (0 until
// written).
type buffer struct {
	size int
	h    uintptr
}

func (b *buffer) Size() int { return b.size }

// Open opens device ("" for the library's best one) of the loaded shim
// as a backend registered under name ("torch", "mlx"). A device the
// library lacks is an error wrapping engine.ErrUnavailable.
//
// On a CPU device the library gets as many threads as the Go CPU backend
// has workers (GOMAXPROCS), unless OMP_NUM_THREADS is set, so that CPU
// comparisons are like for like. (libtorch's own default, the physical
// cores cpuinfo finds, can be 1 on a virtual machine.)
func Open(lib *Lib, name, device string) (*Backend, error) {
	b := &Backend{lib: lib}
	b.w = newWorker(func(h uintptr) { lib.free(h) })
	err := b.w.do(func() error {
		if err := lib.check("", lib.open(device, &b.ctx)); err != nil { // engine.Open's error names the device
			return err
		}
		if parseInfo(name, lib.info(b.ctx)).Device == "cpu" && os.Getenv("OMP_NUM_THREADS") == "" {
			if err := lib.check("set threads", lib.setThreads(b.ctx, int32(runtime.GOMAXPROCS(0)))); err != nil {
				return err
			}
		}
		b.info = parseInfo(name, lib.info(b.ctx))
		return nil
	})
	if err != nil {
		b.w.stop(func() {})
		return nil, err
	}
	return b, nil
}

// parseInfo reads sil_info's "key=value" lines.
func parseInfo(name, s string) engine.DeviceInfo {
	d := engine.DeviceInfo{Backend: name}
	for _, line := range strings.Split(s, "\n") {
		k, v, _ := strings.Cut(line, "=")
		switch k {
		case "device":
			d.Device = v
		case "name":
			d.Name = v
		case "version":
			d.Version = v
		case "memory":
			d.Memory, _ = strconv.ParseInt(v, 10, 64)
		case "unified":
			d.Unified = v == "1"
		}
	}
	return d
}

// Device describes the device (engine.Backend).
func (b *Backend) Device() engine.DeviceInfo { return b.info }

// Alloc returns a buffer of bytes bytes; its array is made on first use.
func (b *Backend) Alloc(bytes int) (engine.Buffer, error) {
	if bytes <= 0 {
		return nil, fmt.Errorf("%s: allocation of %d bytes", b.info.Backend, bytes)
	}
	if b.closed.Load() {
		return nil, fmt.Errorf("%s: backend is closed", b.info.Backend)
	}
	b.inUse.Add(int64(bytes))
	return &buffer{size: bytes}, nil
}

// Free releases the buffer's array (from any goroutine).
func (b *Backend) Free(buf engine.Buffer) {
	bb, ok := buf.(*buffer)
	if !ok || bb.size == 0 {
		return
	}
	b.inUse.Add(-int64(bb.size))
	h := bb.h
	bb.h, bb.size = 0, 0
	b.w.free(h)
}

// MemoryInUse returns the bytes of live buffers (engine.MemoryReporter);
// the library's caches are not counted.
func (b *Backend) MemoryInUse() int64 { return b.inUse.Load() }

func (b *Backend) buffer(buf engine.Buffer) (*buffer, error) {
	bb, ok := buf.(*buffer)
	if !ok || bb.size == 0 {
		return nil, fmt.Errorf("%s: buffer %T is not a live buffer of this backend", b.info.Backend, buf)
	}
	return bb, nil
}

// Write copies src into dst at byte offset off.
func (b *Backend) Write(dst engine.Buffer, off int, src []byte) error {
	d, err := b.buffer(dst)
	if err != nil {
		return err
	}
	if off < 0 || off+len(src) > d.size {
		return fmt.Errorf("%s: write of %d bytes at %d into a %d-byte buffer", b.info.Backend, len(src), off, d.size)
	}
	if len(src) == 0 {
		return nil
	}
	return b.call(func() error {
		l := b.lib
		var h uintptr
		if d.h == 0 && off == 0 && len(src) == d.size {
			if err := l.check("upload", l.upload(b.ctx, unsafe.Pointer(&src[0]), int64(len(src)), &h)); err != nil {
				return err
			}
			d.h = h
			return nil
		}
		if err := b.materialize(d); err != nil {
			return err
		}
		if err := l.check("write", l.write(b.ctx, d.h, int64(off), unsafe.Pointer(&src[0]), int64(len(src)), &h)); err != nil {
			return err
		}
		l.free(d.h)
		d.h = h
		return nil
	})
}

// materialize gives a never-written buffer an array of zeros. Called on
// the worker.
func (b *Backend) materialize(d *buffer) error {
	if d.h != 0 {
		return nil
	}
	var h uintptr
	if err := b.lib.check("zeros", b.lib.zeros(b.ctx, int64(d.size), &h)); err != nil {
		return err
	}
	d.h = h
	return nil
}

// Read copies len(dst) bytes of src from byte offset off into dst, after
// the work that produced them.
func (b *Backend) Read(src engine.Buffer, off int, dst []byte) error {
	s, err := b.buffer(src)
	if err != nil {
		return err
	}
	if off < 0 || off+len(dst) > s.size {
		return fmt.Errorf("%s: read of %d bytes at %d from a %d-byte buffer", b.info.Backend, len(dst), off, s.size)
	}
	if len(dst) == 0 {
		return nil
	}
	return b.call(func() error {
		if s.h == 0 {
			clear(dst)
			return nil
		}
		return b.lib.check("read", b.lib.read(b.ctx, s.h, int64(off), unsafe.Pointer(&dst[0]), int64(len(dst))))
	})
}

// errClosed is returned by every call after Close.
var errClosed = errors.New("shim: backend is closed")

// call runs f on the worker, unless the backend is closed.
func (b *Backend) call(f func() error) error {
	if b.closed.Load() {
		return fmt.Errorf("%s: %w", b.info.Backend, errClosed)
	}
	return b.w.do(f)
}

// Synchronize waits for the device.
func (b *Backend) Synchronize() error {
	return b.call(func() error { return b.lib.check("synchronize", b.lib.sync(b.ctx)) })
}

// Close releases the device. Buffers still alive keep their memory in the
// library until the process ends.
func (b *Backend) Close() error {
	if b.closed.Swap(true) {
		return nil
	}
	b.w.stop(func() { b.lib.close(b.ctx) })
	return nil
}

// Supports reports the primitive ops the library implements (its shim's
// sil_ops) as supported, and neither the fused ops nor custom kernels
// (engine.Capabilities): the compat backends run each op as the library's
// own call, with no fusion of Silica's, so that comparisons are fair;
// custom kernels have no source for these libraries and run on the host,
// as the engine arranges. A step of any other op fails with
// engine.ErrUnsupported.
func (b *Backend) Supports(op engine.Op, _ *engine.Attrs, _ []engine.Value) bool {
	return b.Implements(op)
}

// Implements reports whether the shim implements op (engine.OpSubset):
// a compat backend is a peer for comparisons and may lack an op the
// engine has, which the shared test suite then skips, saying so.
func (b *Backend) Implements(op engine.Op) bool { return primitive(op) && b.lib.Implements(op) }

// primitive reports whether op is one the shims may implement (sil_op):
// the engine's primitive ops, which the generated silica_shim_ops.h
// lists.
func primitive(op engine.Op) bool { return op.IsPrimitive() }
