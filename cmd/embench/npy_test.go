package main

import (
	"bytes"
	"encoding/binary"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestNPYRoundTrip(t *testing.T) {
	dir := t.TempDir()
	f := randomNormal("x", 3, 7, 5)
	i := randomIndices("i", 4, 9, 1000)
	for _, in := range []*tensor{&f, &i} {
		path := filepath.Join(dir, in.Name+".npy")
		if err := writeNPY(path, in); err != nil {
			t.Fatal(err)
		}
		raw, _ := os.ReadFile(path)
		if off := 10 + int(binary.LittleEndian.Uint16(raw[8:])); off%64 != 0 {
			t.Errorf("%s: data starts at %d, not a multiple of 64", in.Name, off)
		}
		out, err := readNPY(path)
		if err != nil {
			t.Fatal(err)
		}
		if len(out.Shape) != len(in.Shape) || out.size() != in.size() {
			t.Fatalf("%s: shape %v, want %v", in.Name, out.Shape, in.Shape)
		}
		for k := range in.F32 {
			if math.Float32bits(out.F32[k]) != math.Float32bits(in.F32[k]) {
				t.Fatalf("%s[%d] = %g, want %g", in.Name, k, out.F32[k], in.F32[k])
			}
		}
		for k := range in.I64 {
			if out.I64[k] != in.I64[k] {
				t.Fatalf("%s[%d] = %d, want %d", in.Name, k, out.I64[k], in.I64[k])
			}
		}
	}
}

// npyBytes builds a .npy file by hand, as NumPy lays it out.
func npyBytes(header string, data []byte) []byte {
	var b bytes.Buffer
	b.WriteString("\x93NUMPY\x01\x00")
	binary.Write(&b, binary.LittleEndian, uint16(len(header)))
	b.WriteString(header)
	b.Write(data)
	return b.Bytes()
}

func TestParseNPY(t *testing.T) {
	// float16 [2]: 1.0 and -2.0.
	raw := npyBytes("{'descr': '<f2', 'fortran_order': False, 'shape': (2,), }\n", []byte{0x00, 0x3c, 0x00, 0xc0})
	got, err := parseNPY(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	if len(got.F32) != 2 || got.F32[0] != 1 || got.F32[1] != -2 {
		t.Errorf("float16 read as %v", got.F32)
	}
	for _, tc := range []struct {
		raw  []byte
		want string
	}{
		{[]byte("PK\x03\x04 not npy"), "npy"},
		{npyBytes("{'descr': '<f4', 'fortran_order': True, 'shape': (1,), }\n", make([]byte, 4)), "Fortran order"},
		{npyBytes("{'descr': '<c8', 'fortran_order': False, 'shape': (1,), }\n", make([]byte, 8)), "<c8"},
		{npyBytes("{'descr': '<f4', 'fortran_order': False, 'shape': (3,), }\n", make([]byte, 8)), "cut short"},
		{npyBytes("{'descr': '<f4'}\n", nil), "npy"},
	} {
		if _, err := parseNPY(bytes.NewReader(tc.raw)); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("parseNPY(%q...) = %v, want an error containing %q", tc.raw[:min(len(tc.raw), 20)], err, tc.want)
		}
	}
}
