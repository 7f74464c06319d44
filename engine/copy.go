package engine

import (
	"fmt"
	"runtime"
	"slices"
)

// BufferCopier is implemented by backends that copy between their own
// buffers on the device (the CPU: memmove; CUDA: cuMemcpyDtoDAsync on the
// backend's stream; Metal: shared memory). CopyRows uses it; without it
// CopyRows goes through the host (Read, then Write).
type BufferCopier interface {
	// CopyBuffer copies n bytes of src from byte offset srcOff to dst at
	// byte offset dstOff, after the work submitted before it, and returns
	// when the copy has finished. dst and src are different buffers.
	CopyBuffer(dst Buffer, dstOff int, src Buffer, srcOff, n int) error
}

// Empty returns an evaluated array of the given shape (at least one
// element) whose contents are undefined: memory is allocated, nothing is
// uploaded. Fill it with CopyRows. A failed allocation (the device out of
// memory) is an error.
func (e *Engine) Empty(dt DType, shape ...int) (*Array, error) {
	if dt.Size() == 0 {
		return nil, fmt.Errorf("engine: empty: invalid dtype %s", dt)
	}
	if err := checkShape("Empty", shape); err != nil {
		return nil, err
	}
	n := Shape(shape).Size() * dt.Size()
	if n == 0 {
		return nil, fmt.Errorf("engine: empty: shape %v has no elements", Shape(shape))
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.closed {
		return nil, errClosed
	}
	buf, err := e.b.Alloc(n)
	if err != nil {
		return nil, fmt.Errorf("engine: empty %s %v: %w", dt, Shape(shape), err)
	}
	a := &Array{e: e, shape: Shape(shape).Clone(), dtype: dt}
	a.materialize(buf)
	return a, nil
}

// Head returns the first n rows (along the first axis, 1 <= n <= rows) of
// the evaluated array a as an evaluated array sharing a's buffer: no copy.
// The two may be freed in either order; the buffer lives until both are.
// Rows that CopyRows writes into a later show in the view too.
func (a *Array) Head(n int) (*Array, error) {
	if a == nil {
		return nil, fmt.Errorf("engine: head: %w", errNilArray)
	}
	if len(a.shape) == 0 || n < 1 || n > a.shape[0] {
		return nil, fmt.Errorf("engine: head: %d rows of %v; want 1 <= n <= rows", n, a.shape)
	}
	a.e.mu.Lock()
	defer a.e.mu.Unlock()
	if a.data == nil {
		if a.node == nil {
			return nil, errFreed(a)
		}
		return nil, fmt.Errorf("engine: head of %s, which is not evaluated", a)
	}
	shape := slices.Clone(a.shape)
	shape[0] = n
	src := a.data
	src.holds.Add(1)
	s := &storage{b: src.b, buf: src.buf, holds: src.holds}
	v := &Array{e: a.e, shape: shape, dtype: a.dtype, data: s}
	runtime.AddCleanup(v, func(s *storage) { s.release() }, s)
	return v, nil
}

// CopyRows evaluates src and copies its rows into the evaluated array dst
// starting at row row, on the device where the backend can
// (BufferCopier), else through the host. dst and src have one dtype and
// the same shape past the first axis; src's rows must fit: 0 <= row and
// row + rows(src) <= rows(dst). CopyRows mutates dst (and every view of
// its buffer, see Head) in place, the one exception to arrays being
// immutable: the caller must make sure no evaluation reads those rows
// meanwhile. Errors name the shapes.
func CopyRows(dst *Array, row int, src *Array) error {
	e, err := sameEngine("copy rows", dst, src)
	if err != nil {
		return err
	}
	if dst.dtype != src.dtype || len(dst.shape) == 0 || len(src.shape) != len(dst.shape) || !dst.shape[1:].Equal(src.shape[1:]) {
		return fmt.Errorf("engine: copy rows: %s %v into %s %v; want one dtype and the same row shape", src.dtype, src.shape, dst.dtype, dst.shape)
	}
	if row < 0 || row+src.shape[0] > dst.shape[0] {
		return fmt.Errorf("engine: copy rows: %d rows at row %d of %v; want 0 <= row and row + rows <= %d", src.shape[0], row, dst.shape, dst.shape[0])
	}
	if src.Size() == 0 {
		return nil
	}
	if err := e.Eval(src); err != nil {
		return err
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.closed {
		return errClosed
	}
	if dst.data == nil {
		return fmt.Errorf("engine: copy rows into %s, which is not evaluated (or freed)", dst)
	}
	if src.data == nil {
		return errFreed(src)
	}
	if dst.data.buf == src.data.buf {
		return fmt.Errorf("engine: copy rows: %s and %s share a buffer", src, dst)
	}
	rowBytes := dst.shape[1:].Size() * dst.dtype.Size()
	n, off := src.Size()*src.dtype.Size(), row*rowBytes
	if c, ok := e.b.(BufferCopier); ok {
		if err := c.CopyBuffer(dst.data.buf, off, src.data.buf, 0, n); err != nil {
			return fmt.Errorf("engine: copy rows on %s: %w", e.name, err)
		}
		return nil
	}
	tmp := make([]byte, n)
	if err := e.b.Read(src.data.buf, 0, tmp); err != nil {
		return fmt.Errorf("engine: copy rows on %s: read: %w", e.name, err)
	}
	if err := e.b.Write(dst.data.buf, off, tmp); err != nil {
		return fmt.Errorf("engine: copy rows on %s: write: %w", e.name, err)
	}
	return nil
}
