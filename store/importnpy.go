package store

import (
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"os"
	"slices"
	"unsafe"

	"github.com/silica-go/silica/half"
	"github.com/silica-go/silica/store/npy"
)

// ReadNPY reads a 2-D .npy array [n, dim] of float32 ('<f4'), float16
// ('<f2') or float64 ('<f8', rounded to float32), as numpy.save writes it,
// and returns its rows (views of float32 buffers of many rows each, ready
// for Add or Append) and dim, which an empty [0, dim] array also gives.
// Other types, other ranks, Fortran order, big-endian data, a float64
// beyond float32's range, and data shorter than the header says are
// errors that name the problem.
func ReadNPY(r io.Reader) (rows [][]float32, dim int, err error) {
	h, _, err := npy.ReadHeader(r)
	if err != nil {
		return nil, 0, err
	}
	n, d, err := vectorShape(h)
	if err != nil {
		return nil, 0, err
	}
	var conv func(dst []float32, src []byte) error
	switch h.Descr {
	case npy.Float32:
		conv = func(dst []float32, src []byte) error {
			for i := range dst {
				dst[i] = math.Float32frombits(binary.LittleEndian.Uint32(src[4*i:]))
			}
			return nil
		}
	case npy.Float16:
		conv = func(dst []float32, src []byte) error {
			half.DecodeFloat16(dst, src)
			return nil
		}
	case npy.Float64:
		conv = func(dst []float32, src []byte) error {
			for i := range dst {
				v := math.Float64frombits(binary.LittleEndian.Uint64(src[8*i:]))
				dst[i] = float32(v)
				if !math.IsInf(v, 0) && math.IsInf(float64(dst[i]), 0) {
					return fmt.Errorf("npy: float64 value %g is beyond float32's range", v)
				}
			}
			return nil
		}
	default:
		return nil, 0, fmt.Errorf("npy: vectors of type %q; want float32 ('<f4'), float16 ('<f2') or float64 ('<f8')", h.Descr)
	}
	if d > maxBlock/4 {
		// A row larger than a block: read as one buffer grown as the
		// data arrives.
		flat, err := readElems(r, n*d, h.ElemSize(), conv)
		if err != nil {
			return nil, 0, err
		}
		return rowViews(flat, n, d), d, nil
	}
	if h.Descr != npy.Float32 || !nativeLittle {
		rows, err = readBlocks(r, n, d, h.ElemSize(), conv)
	} else {
		rows, err = readBlocks(r, n, d, 4, nil)
	}
	if err != nil {
		return nil, 0, err
	}
	return rows, d, nil
}

// nativeLittle reports whether this machine stores numbers little-endian,
// as .npy files of '<f4' hold them: their data is then read straight into
// the rows.
var nativeLittle = binary.NativeEndian.Uint16([]byte{1, 0}) == 1

// ReadNPY reads its rows into blocks of whole rows, the first of firstBlock
// bytes of float32 and each next twice the last, up to maxBlock. So a
// header that promises more than the stream holds costs no more memory
// than the stream (and one block), no block is copied to grow, and no
// single copy of gigabytes holds up the garbage collector (a buffer grown
// as 3 GB arrived took 20 s to read on a 2-core machine, most of it
// copies, fresh pages and the collector waiting on them).
const (
	firstBlock = 256 << 10
	maxBlock   = 16 << 20
)

// readBlocks reads n rows of d elements of size bytes each from r,
// converting them with conv, or, where conv is nil, reading the bytes
// straight into the rows (little-endian float32).
func readBlocks(r io.Reader, n, d, size int, conv func([]float32, []byte) error) ([][]float32, error) {
	const chunk = 1 << 16 // elements converted at a time
	if n == 0 {
		return [][]float32{}, nil // [0, d], d 0 included
	}
	var buf []byte
	if conv != nil {
		buf = make([]byte, min(n*d, chunk)*size)
	}
	per := max(1, firstBlock/(4*d)) // rows a block
	rows := make([][]float32, 0, min(n, per))
	for len(rows) < n {
		m := min(n-len(rows), per)
		block := make([]float32, m*d)
		at := len(rows) * d * size // bytes read before this block
		if conv == nil {
			if got, err := io.ReadFull(r, unsafe.Slice((*byte)(unsafe.Pointer(unsafe.SliceData(block))), 4*len(block))); err != nil {
				return nil, cutShort(at+got, n*d*size)
			}
		} else {
			for lo := 0; lo < len(block); lo += chunk {
				hi := min(len(block), lo+chunk)
				b := buf[:(hi-lo)*size]
				if got, err := io.ReadFull(r, b); err != nil {
					return nil, cutShort(at+lo*size+got, n*d*size)
				}
				if err := conv(block[lo:hi], b); err != nil {
					return nil, err
				}
			}
		}
		for i := range m {
			rows = append(rows, block[i*d:(i+1)*d:(i+1)*d])
		}
		per = min(2*per, max(1, maxBlock/(4*d)))
	}
	return rows, nil
}

func cutShort(got, want int) error {
	return fmt.Errorf("%w: data cut short: %d bytes of %d", npy.ErrFormat, got, want)
}

// vectorShape returns the rows and dimension of an array of vectors,
// or the error that says why h is not one.
func vectorShape(h npy.Header) (n, d int, err error) {
	if err := h.CheckSimple(); err != nil {
		return 0, 0, err
	}
	if len(h.Shape) != 2 {
		return 0, 0, fmt.Errorf("npy: array of shape %v; want a 2-D array [n, dim] of vectors", h.Shape)
	}
	n, d = h.Shape[0], h.Shape[1]
	if d == 0 && n > 0 {
		return 0, 0, fmt.Errorf("npy: array of shape %v: vectors of dimension 0", h.Shape)
	}
	return n, d, nil
}

// NPYVectors are the vectors of a .npy file opened by OpenNPY.
type NPYVectors struct {
	Rows [][]float32 // ready for Add or Append; not to be used after Close
	Dim  int
	m    *mapping
}

// OpenNPY opens a .npy file of vectors as ReadNPY reads one (the same
// types and checks), for adding to a store. Where the file holds
// little-endian float32 and the platform maps files (Linux, macOS and
// other Unix), the rows are views of the file mapped read-only, not a
// copy: an add reads them from the page cache, and the process holds no
// second copy of them beside the store's. Otherwise they are read into
// memory as ReadNPY reads them. Close releases them; a row used after
// Close, or a mapped file cut short by another program while open, faults.
func OpenNPY(path string) (*NPYVectors, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	h, off, err := npy.ReadHeader(f)
	if err != nil {
		return nil, err
	}
	n, d, err := vectorShape(h)
	if err != nil {
		return nil, err
	}
	if h.Descr != npy.Float32 || !nativeLittle || off%4 != 0 || n == 0 || !canMap {
		if _, err := f.Seek(0, io.SeekStart); err != nil {
			return nil, err
		}
		rows, d, err := ReadNPY(f)
		if err != nil {
			return nil, err
		}
		return &NPYVectors{Rows: rows, Dim: d}, nil
	}
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	data := h.DataBytes()
	if st.Size()-int64(off) < data {
		return nil, cutShort(int(st.Size())-off, int(data))
	}
	m, err := mapFile(f, int64(off)+data)
	if err != nil {
		return nil, err
	}
	x := unsafe.Slice((*float32)(unsafe.Pointer(&m.data[off])), n*d)
	return &NPYVectors{Rows: rowViews(x, n, d), Dim: d, m: m}, nil
}

// Close releases the vectors' memory (unmaps the file).
func (v *NPYVectors) Close() error {
	if v.m != nil {
		v.m.release()
		v.m = nil
	}
	v.Rows = nil
	return nil
}

// ReadNPYIDs reads a 1-D .npy array of int64 ('<i8') or int32 ('<i4') ids.
func ReadNPYIDs(r io.Reader) ([]int64, error) {
	h, data, err := npy.ReadArray(r)
	if err != nil {
		return nil, err
	}
	if len(h.Shape) != 1 {
		return nil, fmt.Errorf("npy: ids of shape %v; want a 1-D array", h.Shape)
	}
	ids := make([]int64, h.Shape[0])
	switch h.Descr {
	case npy.Int64:
		for i := range ids {
			ids[i] = int64(binary.LittleEndian.Uint64(data[8*i:]))
		}
	case npy.Int32:
		for i := range ids {
			ids[i] = int64(int32(binary.LittleEndian.Uint32(data[4*i:])))
		}
	default:
		return nil, fmt.Errorf("npy: ids of type %q; want int64 ('<i8') or int32 ('<i4')", h.Descr)
	}
	return ids, nil
}

// readElems reads total elements of size bytes in chunks, converting
// each chunk. The buffers grow as data arrives, so a header that promises
// more than the stream holds costs no more memory than the stream (and
// one chunk).
func readElems(r io.Reader, total, size int, conv func([]float32, []byte) error) ([]float32, error) {
	const chunk = 1 << 16
	buf := make([]byte, min(total, chunk)*size)
	flat := make([]float32, 0, min(total, chunk))
	for len(flat) < total {
		m := min(chunk, total-len(flat))
		if n, err := io.ReadFull(r, buf[:m*size]); err != nil {
			return nil, cutShort(len(flat)*size+n, total*size)
		}
		lo := len(flat)
		flat = slices.Grow(flat, m)[:lo+m]
		if err := conv(flat[lo:], buf[:m*size]); err != nil {
			return nil, err
		}
	}
	return flat, nil
}
