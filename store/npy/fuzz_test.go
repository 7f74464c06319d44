package npy

import (
	"bytes"
	"errors"
	"reflect"
	"runtime"
	"strings"
	"testing"
)

// numpyDescrs are the type strings numpy.save writes for the types this
// package knows (numpy.dtype(t).str): one-byte types with '|', others
// with '<' or '>'.
var numpyDescrs = []string{
	"|b1", "|i1", "|u1",
	"<i2", "<i4", "<i8", "<u2", "<u4", "<u8", "<f2", "<f4", "<f8",
	">i2", ">i4", ">i8", ">u2", ">u4", ">u8", ">f2", ">f4", ">f8",
}

// seedFiles are well-formed and malformed files for the fuzzers' corpus.
func seedFiles() [][]byte {
	var out [][]byte
	for _, c := range []struct {
		descr string
		shape []int
	}{{Float32, []int{2, 3}}, {Float16, []int{1, 4}}, {Int8, []int{3}}, {Int64, []int{2}}, {Int32, []int{}}, {Float64, []int{0, 5}}} {
		h := Header{Descr: c.descr, Shape: c.shape}
		var b bytes.Buffer
		if _, err := Write(&b, c.descr, c.shape, make([]byte, h.DataBytes())); err != nil {
			panic(err)
		}
		out = append(out, b.Bytes())
	}
	for _, dict := range []string{
		`{"shape": (2L, 1L), "fortran_order": True, "descr": "<f2"}` + "\n",
		"{'descr': '<f+4', 'fortran_order': False, 'shape': (1,), }\n",
		"{'descr': '>f4', 'fortran_order': False, 'shape': (1,), }\n",
		"{'descr': '<f4', 'fortran_order': False, 'shape': (4294967296, 4294967296), }\n",
		"{'descr': '<f8', 'fortran_order': False, 'shape': (16777216, 1024), }\n",
		"{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (2,), }\n",
		// Errors quote a clipped header, not all of it.
		"{'descr': '<f4', 'fortran_order': False, 'shape': (1,), 'x" + strings.Repeat("y", 5000) + "': 1}\n",
		"{'descr': '<f4' " + strings.Repeat("z", 5000) + "}\n",
	} {
		out = append(out, raw(1, dict))
	}
	return out
}

// checkErr fails unless err is one line that says it is about a .npy file.
func checkErr(t *testing.T, err error) {
	t.Helper()
	msg := err.Error()
	if strings.ContainsAny(msg, "\n\r") || !strings.HasPrefix(msg, "npy: ") || len(msg) > maxErrLen {
		t.Fatalf("error is not one short line starting \"npy: \" (%d bytes): %q", len(msg), msg)
	}
}

// maxErrLen bounds an error's length: a header is quoted clipped, a shape
// has at most maxDims dimensions.
const maxErrLen = 2048

// allocBound is what a read may allocate beyond a few times the input: the
// header text (at most maxHeader) and the reader's working buffers.
const allocBound = maxHeader + 1<<20

// allocated returns the bytes f allocates.
func allocated(f func()) uint64 {
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// FuzzReadHeader checks that ReadHeader never reads past the header, that
// a header it parses with a known descr is written back by Encode as the
// same header, and that a descr it knows is one numpy writes.
func FuzzReadHeader(f *testing.F) {
	for _, b := range seedFiles() {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, file []byte) {
		h, n, err := ReadHeader(bytes.NewReader(file))
		if err != nil {
			checkErr(t, err)
			if !errors.Is(err, ErrFormat) {
				t.Fatalf("error %q does not wrap ErrFormat", err)
			}
			return
		}
		if n > len(file) || n < len(Magic)+4 {
			t.Fatalf("header of %d bytes in a file of %d", n, len(file))
		}
		if h.Count() < 0 || h.DataBytes() < 0 {
			t.Fatalf("header %+v: count %d, data bytes %d", h, h.Count(), h.DataBytes())
		}
		if h.ElemSize() == 0 {
			if err := h.CheckSimple(); err == nil {
				t.Fatalf("CheckSimple accepts %+v of unknown type", h)
			} else {
				checkErr(t, err)
			}
			return
		}
		found := false
		for _, d := range numpyDescrs {
			found = found || d == h.Descr
		}
		if !found {
			t.Fatalf("descr %q has element size %d, but numpy writes no such descr", h.Descr, h.ElemSize())
		}
		enc, err := h.Encode()
		if err != nil {
			t.Fatalf("Encode(%+v): %v", h, err)
		}
		if len(enc)%Align != 0 {
			t.Fatalf("Encode(%+v): %d bytes, not a multiple of %d", h, len(enc), Align)
		}
		back, m, err := ReadHeader(bytes.NewReader(enc))
		if err != nil || m != len(enc) || back.Descr != h.Descr || back.FortranOrder != h.FortranOrder || !reflect.DeepEqual(back.Shape, h.Shape) {
			t.Fatalf("header %+v encodes as %q, which reads back as %+v (%d bytes), %v", h, enc, back, m, err)
		}
	})
}

// FuzzReadArray checks that ReadArray returns exactly the data the header
// describes, that what it accepts writes back byte for byte with Write,
// and that a header that promises more than the file holds costs memory
// in proportion to the file, not to the promise.
func FuzzReadArray(f *testing.F) {
	for _, b := range seedFiles() {
		f.Add(b)
		f.Add(append(b, make([]byte, 40)...))
	}
	f.Fuzz(func(t *testing.T, file []byte) {
		var (
			h    Header
			data []byte
			err  error
		)
		if n := allocated(func() { h, data, err = ReadArray(bytes.NewReader(file)) }); n > allocBound+4*uint64(len(file)) {
			t.Fatalf("reading %d bytes allocated %d", len(file), n)
		}
		if err != nil {
			checkErr(t, err)
			return
		}
		if h.FortranOrder || h.ElemSize() == 0 || (h.Descr[0] == '>' && h.ElemSize() > 1) {
			t.Fatalf("ReadArray accepted %+v", h)
		}
		if int64(len(data)) != h.DataBytes() {
			t.Fatalf("%+v: %d bytes of data, want %d", h, len(data), h.DataBytes())
		}
		var b bytes.Buffer
		if _, err := Write(&b, h.Descr, h.Shape, data); err != nil {
			t.Fatalf("Write(%+v): %v", h, err)
		}
		h2, data2, err := ReadArray(&b)
		if err != nil || h2.Descr != h.Descr || !reflect.DeepEqual(h2.Shape, h.Shape) || !bytes.Equal(data2, data) {
			t.Fatalf("%+v does not survive a write and a read: %+v, %v", h, h2, err)
		}
	})
}
