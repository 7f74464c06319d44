package npy

import (
	"fmt"
	"io"
)

// The type strings this package writes.
const (
	Float32 = "<f4"
	Float16 = "<f2"
	Float64 = "<f8"
	Int8    = "|i1"
	Int32   = "<i4"
	Int64   = "<i8"
)

// Write writes a .npy file holding data, the elements of an array of type
// descr and the given shape in C order, little-endian. len(data) must be
// the shape's element count times the element size.
func Write(w io.Writer, descr string, shape []int, data []byte) (int64, error) {
	h := Header{Descr: descr, Shape: shape}
	if int64(len(data)) != h.DataBytes() {
		return 0, fmt.Errorf("npy: %d bytes of data for %s %v (want %d)", len(data), descr, shape, h.DataBytes())
	}
	head, err := h.Encode()
	if err != nil {
		return 0, err
	}
	n, err := w.Write(head)
	if err != nil {
		return int64(n), err
	}
	m, err := w.Write(data)
	return int64(n + m), err
}

// ReadArray reads a whole .npy stream: its header and exactly the data the
// header describes. Fortran order, big-endian and unknown types are
// errors; so is data shorter than the header promises.
func ReadArray(r io.Reader) (Header, []byte, error) {
	h, _, err := ReadHeader(r)
	if err != nil {
		return Header{}, nil, err
	}
	if err := h.CheckSimple(); err != nil {
		return Header{}, nil, err
	}
	// Read as the data arrives (not one allocation of what the header
	// claims), so a lying header costs no more memory than the stream.
	data, err := io.ReadAll(io.LimitReader(r, h.DataBytes()))
	if err != nil {
		return Header{}, nil, err
	}
	if int64(len(data)) != h.DataBytes() {
		return Header{}, nil, fmt.Errorf("%w: data cut short: %s %v needs %d bytes, only %d follow", ErrFormat, h.Descr, h.Shape, h.DataBytes(), len(data))
	}
	return h, data, nil
}

// CheckSimple returns an error unless h describes little-endian (or
// one-byte) elements of a known size in C order.
func (h Header) CheckSimple() error {
	switch {
	case h.FortranOrder:
		return fmt.Errorf("npy: array %q %v is in Fortran order; save a C-ordered copy (numpy.ascontiguousarray)", clip(h.Descr), h.Shape)
	case h.ElemSize() == 0:
		return fmt.Errorf("npy: unsupported element type %q", clip(h.Descr))
	case h.Descr[0] == '>' && h.ElemSize() > 1:
		return fmt.Errorf("npy: big-endian element type %q; save it as little-endian (arr.astype(arr.dtype.newbyteorder('<')))", h.Descr)
	}
	return nil
}
