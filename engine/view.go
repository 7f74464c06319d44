package engine

import (
	"encoding/binary"
	"errors"
	"fmt"
	"unsafe"
)

// HostViewer is implemented by backends that can show buffers in host
// memory without copying them: the CPU's own memory, CUDA's copies read
// ahead for the run that wrote them (ReadAhead).
type HostViewer interface {
	// ViewHost calls fn with the first sizes[i] bytes of each buffer of
	// bufs in host memory and reports true with fn's error, or reports
	// false without calling fn when it cannot show them all so. The views
	// are valid only during fn, which must neither write them nor call the
	// backend.
	ViewHost(bufs []Buffer, sizes []int, fn func(views [][]byte) error) (bool, error)
}

// View evaluates arrays (of one engine) and calls fn with each one's
// elements in host memory, little-endian bytes in C order, in the order
// of arrays (Float32s and Int64s type them): the backend's own memory
// where it is the host's (the CPU), or its copies read ahead for the run
// that computed them (EvalRead on CUDA), with no copy; otherwise copies
// read for the call. A caller that reads results once saves the copy of
// Float32 and Int64, and the wait for the device where they were read
// ahead. The views are valid only during fn, which must neither keep
// them nor use the engine, and the arrays must not be freed before fn
// returns; fn must not write them. View returns fn's error, or the error of evaluating or
// reading the arrays.
func View(arrays []*Array, fn func(views [][]byte) error) error {
	if len(arrays) == 0 {
		return fn(nil)
	}
	e := arrays[0].e
	for _, a := range arrays[1:] {
		if a.e != e {
			return fmt.Errorf("engine: view of arrays of engines %s and %s", e.name, a.e.name)
		}
	}
	if err := e.Eval(arrays...); err != nil {
		return err
	}
	bufs := make([]Buffer, len(arrays))
	sizes := make([]int, len(arrays))
	e.mu.Lock()
	for i, a := range arrays {
		if a.data == nil {
			e.mu.Unlock()
			return errFreed(a)
		}
		bufs[i], sizes[i] = a.data.buf, a.Size()*a.dtype.Size()
	}
	e.mu.Unlock()
	if hv, ok := e.b.(HostViewer); ok {
		done, err := hv.ViewHost(bufs, sizes, func(views [][]byte) error {
			for i, v := range views {
				if len(v) > 0 && uintptr(unsafe.Pointer(&v[0]))%uintptr(arrays[i].dtype.Size()) != 0 {
					return errUnaligned
				}
			}
			return fn(views)
		})
		if done && !errors.Is(err, errUnaligned) {
			return err
		}
	}
	views := make([][]byte, len(arrays))
	for i, a := range arrays {
		views[i] = alignedBytes(sizes[i])
		if err := a.readInto(views[i]); err != nil {
			return err
		}
	}
	return fn(views)
}

// errUnaligned stops a view of memory not aligned to its elements (a
// wrapped host buffer may be): View then reads copies instead.
var errUnaligned = errors.New("engine: view not aligned to its elements")

// Float32s returns the bytes of a Float32 array's view (View) as
// float32s: the same memory on a little-endian machine (amd64, arm64), a
// decoded copy on others.
func Float32s(b []byte) []float32 {
	if !littleEndian {
		return DecodeFloat32(Float32, b)
	}
	if len(b) == 0 {
		return nil
	}
	return unsafe.Slice((*float32)(unsafe.Pointer(&b[0])), len(b)/4)
}

// Int64s returns the bytes of an Int64 array's view (View) as int64s:
// the same memory on a little-endian machine, a decoded copy on others.
func Int64s(b []byte) []int64 {
	if len(b) == 0 {
		return nil
	}
	if !littleEndian {
		out := make([]int64, len(b)/8)
		for i := range out {
			out[i] = int64(binary.LittleEndian.Uint64(b[8*i:]))
		}
		return out
	}
	return unsafe.Slice((*int64)(unsafe.Pointer(&b[0])), len(b)/8)
}
