package npy

import (
	"bytes"
	"encoding/binary"
	"errors"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
)

func TestRoundTrip(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for _, c := range []struct {
		descr string
		shape []int
	}{
		{Float32, []int{7, 13}}, {Float16, []int{1, 5}}, {Int8, []int{3, 1}},
		{Int64, []int{11}}, {Int32, []int{2, 3}}, {Float32, []int{0, 4}}, {Float64, []int{}},
	} {
		h := Header{Descr: c.descr, Shape: c.shape}
		data := make([]byte, h.DataBytes())
		for i := range data {
			data[i] = byte(r.IntN(256))
		}
		var buf bytes.Buffer
		n, err := Write(&buf, c.descr, c.shape, data)
		if err != nil {
			t.Fatalf("%s %v: %v", c.descr, c.shape, err)
		}
		if n != int64(buf.Len()) {
			t.Errorf("%s %v: Write says %d bytes, wrote %d", c.descr, c.shape, n, buf.Len())
		}
		off := buf.Len() - len(data)
		if off%Align != 0 {
			t.Errorf("%s %v: data at offset %d, not a multiple of %d", c.descr, c.shape, off, Align)
		}
		if buf.Bytes()[off-1] != '\n' || buf.Bytes()[6] != 1 || buf.Bytes()[7] != 0 {
			t.Errorf("%s %v: header %q is not a version 1.0 header ending in a newline", c.descr, c.shape, buf.Bytes()[:off])
		}
		got, gotData, err := ReadArray(bytes.NewReader(buf.Bytes()))
		if err != nil {
			t.Fatalf("%s %v: read back: %v", c.descr, c.shape, err)
		}
		if got.Descr != c.descr || !reflect.DeepEqual(got.Shape, c.shape) || got.FortranOrder {
			t.Errorf("read back header %+v, want %s %v", got, c.descr, c.shape)
		}
		if !bytes.Equal(gotData, data) {
			t.Errorf("%s %v: data differs after a round trip", c.descr, c.shape)
		}
	}
}

// raw builds a file from a header text the way other writers might.
func raw(major byte, dict string) []byte {
	b := []byte(Magic)
	b = append(b, major, 0)
	if major == 1 {
		b = binary.LittleEndian.AppendUint16(b, uint16(len(dict)))
	} else {
		b = binary.LittleEndian.AppendUint32(b, uint32(len(dict)))
	}
	return append(b, dict...)
}

func TestReadHeaderVariants(t *testing.T) {
	for _, c := range []struct {
		file  []byte
		descr string
		shape []int
		fort  bool
	}{
		// numpy 1.x/2.x, with its growth padding
		{raw(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (3, 768), }"+strings.Repeat(" ", 51)+"\n"), "<f4", []int{3, 768}, false},
		// keys in another order, double quotes, no trailing comma, Python 2 longs
		{raw(1, `{"shape": (2L, 5L), "fortran_order": True, "descr": "<f2"}`+"\n"), "<f2", []int{2, 5}, true},
		{raw(2, "{'descr': '|i1', 'fortran_order': False, 'shape': (4,), }\n"), "|i1", []int{4}, false},
		{raw(3, "{'descr': '<i8', 'fortran_order': False, 'shape': (), }\n"), "<i8", []int{}, false},
	} {
		h, n, err := ReadHeader(bytes.NewReader(c.file))
		if err != nil {
			t.Errorf("%q: %v", c.file, err)
			continue
		}
		if n != len(c.file) || h.Descr != c.descr || !reflect.DeepEqual(h.Shape, c.shape) || h.FortranOrder != c.fort {
			t.Errorf("%q: got %+v (%d bytes), want %s %v fortran=%t (%d bytes)", c.file, h, n, c.descr, c.shape, c.fort, len(c.file))
		}
	}
}

func TestReadErrors(t *testing.T) {
	good := raw(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 2), }\n")
	for _, c := range []struct {
		name string
		file []byte
		want string
	}{
		{"empty", nil, "too short"},
		{"magic", append([]byte("PK\x03\x04zz"), good[6:]...), "magic"},
		{"version", append(append([]byte(Magic), 9, 0), good[8:]...), "version 9.0"},
		{"header cut", good[:30], "only"},
		{"missing key", raw(1, "{'descr': '<f4', 'shape': (2, 2), }\n"), "fortran_order"},
		{"extra key", raw(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (2,), 'x': 1}\n"), "unexpected key"},
		{"structured", raw(1, "{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (2,), }\n"), "structured"},
		{"bad shape", raw(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (2, -1), }\n"), "non-negative"},
		{"huge shape", raw(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (4294967296, 4294967296), }\n"), "too large"},
		{"bad bool", raw(1, "{'descr': '<f4', 'fortran_order': 0, 'shape': (2,), }\n"), "True or False"},
		{"fortran", raw(1, "{'descr': '<f4', 'fortran_order': True, 'shape': (2, 2), }\n"), "Fortran order"},
		{"big endian", raw(1, "{'descr': '>f4', 'fortran_order': False, 'shape': (2, 2), }\n"), "big-endian"},
		{"object", raw(1, "{'descr': '|O', 'fortran_order': False, 'shape': (2, 2), }\n"), "unsupported element type"},
		// Only the descrs numpy writes: no sign, no '=' or '<' on one byte, no missing order.
		{"descr <f+4", append(raw(1, "{'descr': '<f+4', 'fortran_order': False, 'shape': (1,), }\n"), make([]byte, 8)...), "unsupported element type \"<f+4\""},
		{"descr <i1", append(raw(1, "{'descr': '<i1', 'fortran_order': False, 'shape': (1,), }\n"), make([]byte, 8)...), "unsupported element type"},
		{"descr =f4", append(raw(1, "{'descr': '=f4', 'fortran_order': False, 'shape': (1,), }\n"), make([]byte, 8)...), "unsupported element type"},
		{"descr f4", append(raw(1, "{'descr': 'f4', 'fortran_order': False, 'shape': (1,), }\n"), make([]byte, 8)...), "unsupported element type"},
		{"descr <f04", append(raw(1, "{'descr': '<f04', 'fortran_order': False, 'shape': (1,), }\n"), make([]byte, 8)...), "unsupported element type"},
		{"65 dims", raw(1, "{'descr': '<f4', 'fortran_order': False, 'shape': ("+strings.Repeat("1, ", 65)+"), }\n"), "shape of 65 dimensions"},
		{"data cut", append(good, make([]byte, 15)...), "cut short"},
	} {
		_, _, err := ReadArray(bytes.NewReader(c.file))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want one containing %q", c.name, err, c.want)
		}
	}
	_, _, err := ReadHeader(bytes.NewReader(nil))
	if !errors.Is(err, ErrFormat) {
		t.Errorf("empty input: %v does not wrap ErrFormat", err)
	}
}

func TestWriteErrors(t *testing.T) {
	if _, err := Write(&bytes.Buffer{}, Float32, []int{2, 2}, make([]byte, 15)); err == nil {
		t.Error("Write accepted 15 bytes for a 2x2 float32 array")
	}
	if _, err := Write(&bytes.Buffer{}, "<c8x", []int{1}, make([]byte, 8)); err == nil {
		t.Error("Write accepted an unknown descr")
	}
}
