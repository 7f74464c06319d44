package npy

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// Magic is the first six bytes of every .npy file.
const Magic = "\x93NUMPY"

// Align is the alignment of the data: the header is padded so that the
// data starts at a multiple of Align bytes.
const Align = 64

// maxHeader bounds the header length this package reads (numpy itself
// refuses headers over 10,000 bytes by default).
const maxHeader = 1 << 20

// Header describes the array of a .npy file.
type Header struct {
	// Descr is the NumPy type string, e.g. "<f4", "<f2", "|i1", "<i8".
	Descr string
	// Shape is the array's dimensions; empty for a scalar.
	Shape []int
	// FortranOrder is true for data in column-major order.
	FortranOrder bool
}

// ErrFormat is wrapped by every error about a malformed .npy header.
var ErrFormat = errors.New("npy: malformed file")

// ElemSize returns the bytes of one element of h.Descr, or 0 for a type
// this package does not know.
func (h Header) ElemSize() int { return elemSize(h.Descr) }

// elemSize returns the element size of descr if it is one of the type
// strings numpy writes for booleans, integers and floats: one-byte types
// with '|' ("|b1", "|i1", "|u1"), the others with '<' or '>' and a size of
// 2, 4 or 8 ("<f4", ">i8"). Any other spelling, even one numpy would read
// ("<i1", "=f4", "<f+4", "f4"), is unknown.
func elemSize(descr string) int {
	if len(descr) != 3 {
		return 0
	}
	order, kind, size := descr[0], descr[1], descr[2]
	switch {
	case order == '|' && size == '1' && (kind == 'b' || kind == 'i' || kind == 'u'):
		return 1
	case (order == '<' || order == '>') && (kind == 'f' || kind == 'i' || kind == 'u') &&
		(size == '2' || size == '4' || size == '8'):
		return int(size - '0')
	}
	return 0
}

// Count returns the number of elements (1 for a scalar).
func (h Header) Count() int {
	n := 1
	for _, d := range h.Shape {
		n *= d
	}
	return n
}

// DataBytes returns the length of the data that follows the header.
func (h Header) DataBytes() int64 { return int64(h.Count()) * int64(h.ElemSize()) }

// dict renders the header dict as numpy.save does.
func (h Header) dict() string {
	dims := make([]string, len(h.Shape))
	for i, d := range h.Shape {
		dims[i] = strconv.Itoa(d)
	}
	shape := "(" + strings.Join(dims, ", ")
	if len(dims) == 1 {
		shape += ","
	}
	shape += ")"
	order := "False"
	if h.FortranOrder {
		order = "True"
	}
	return fmt.Sprintf("{'descr': '%s', 'fortran_order': %s, 'shape': %s, }", h.Descr, order, shape)
}

// Encode returns the magic, version, length and padded header of h: the
// bytes that precede the data. Version 1.0 is used unless the header is
// too long for its 2-byte length.
func (h Header) Encode() ([]byte, error) {
	if h.ElemSize() == 0 {
		return nil, fmt.Errorf("npy: cannot write descr %q", h.Descr)
	}
	for _, d := range h.Shape {
		if d < 0 {
			return nil, fmt.Errorf("npy: negative dimension in shape %v", h.Shape)
		}
	}
	dict := h.dict()
	for _, v := range []struct {
		major  byte
		lenLen int
	}{{1, 2}, {2, 4}} {
		pre := len(Magic) + 2 + v.lenLen
		total := (pre + len(dict) + 1 + Align - 1) / Align * Align
		hlen := total - pre
		if v.lenLen == 2 && hlen > 0xffff {
			continue
		}
		out := make([]byte, 0, total)
		out = append(out, Magic...)
		out = append(out, v.major, 0)
		if v.lenLen == 2 {
			out = binary.LittleEndian.AppendUint16(out, uint16(hlen))
		} else {
			out = binary.LittleEndian.AppendUint32(out, uint32(hlen))
		}
		out = append(out, dict...)
		out = append(out, bytes.Repeat([]byte{' '}, hlen-len(dict)-1)...)
		out = append(out, '\n')
		return out, nil
	}
	return nil, fmt.Errorf("npy: header of %d bytes is too long", len(dict))
}

// ReadHeader reads the header at the start of r and returns it with the
// number of bytes it took (the offset of the data).
func ReadHeader(r io.Reader) (Header, int, error) {
	var pre [len(Magic) + 2]byte
	if n, err := io.ReadFull(r, pre[:]); err != nil {
		return Header{}, 0, fmt.Errorf("%w: %d bytes is too short for a .npy header", ErrFormat, n)
	}
	if string(pre[:len(Magic)]) != Magic {
		return Header{}, 0, fmt.Errorf("%w: does not start with the .npy magic \\x93NUMPY (starts %q)", ErrFormat, pre[:len(Magic)])
	}
	major, minor := pre[len(Magic)], pre[len(Magic)+1]
	var lenLen int
	switch major {
	case 1:
		lenLen = 2
	case 2, 3:
		lenLen = 4
	default:
		return Header{}, 0, fmt.Errorf("%w: format version %d.%d (this reader knows 1.0, 2.0 and 3.0)", ErrFormat, major, minor)
	}
	var lb [4]byte
	if _, err := io.ReadFull(r, lb[:lenLen]); err != nil {
		return Header{}, 0, fmt.Errorf("%w: header length cut short (%v)", ErrFormat, err)
	}
	hlen := int(binary.LittleEndian.Uint32(lb[:]))
	if hlen > maxHeader {
		return Header{}, 0, fmt.Errorf("%w: header length %d bytes exceeds %d", ErrFormat, hlen, maxHeader)
	}
	text := make([]byte, hlen)
	if n, err := io.ReadFull(r, text); err != nil {
		return Header{}, 0, fmt.Errorf("%w: header says %d bytes, only %d follow", ErrFormat, hlen, n)
	}
	h, err := parseDict(string(text))
	if err != nil {
		return Header{}, 0, err
	}
	return h, len(pre) + lenLen + hlen, nil
}
