package store

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/silica-go/silica/half"
	"github.com/silica-go/silica/store/npy"
)

func npyFile(t *testing.T, descr string, shape []int, data []byte) []byte {
	t.Helper()
	var b bytes.Buffer
	if _, err := npy.Write(&b, descr, shape, data); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestReadNPY(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 1))
	// More rows than one read chunk; rows over several blocks; rows
	// larger than a block.
	for _, shape := range [][2]int{{70001, 3}, {1013, 701}, {2, maxBlock/4 + 3}} {
		n, d := shape[0], shape[1]
		want := randVectors(r, n, d)
		f32 := make([]byte, 0, 4*n*d)
		f64 := make([]byte, 0, 8*n*d)
		f16 := make([]byte, 2*n*d)
		var flat []float32
		for _, v := range want {
			for _, x := range v {
				f32 = binary.LittleEndian.AppendUint32(f32, math.Float32bits(x))
				f64 = binary.LittleEndian.AppendUint64(f64, math.Float64bits(float64(x)))
				flat = append(flat, x)
			}
		}
		half.EncodeFloat16(f16, flat)
		for _, c := range []struct {
			descr string
			data  []byte
			round func(float32) float32
		}{
			{npy.Float32, f32, func(x float32) float32 { return x }},
			{npy.Float64, f64, func(x float32) float32 { return x }},
			{npy.Float16, f16, half.Round16},
		} {
			file := npyFile(t, c.descr, []int{n, d}, c.data)
			got, dim, err := ReadNPY(bytes.NewReader(file))
			if err != nil || dim != d {
				t.Fatalf("%s %d x %d: dim %d, %v", c.descr, n, d, dim, err)
			}
			if len(got) != n {
				t.Fatalf("%s %d x %d: %d rows", c.descr, n, d, len(got))
			}
			for i := range got {
				if len(got[i]) != d || cap(got[i]) != d {
					t.Fatalf("%s %d x %d: row %d of length %d, capacity %d", c.descr, n, d, i, len(got[i]), cap(got[i]))
				}
				for j := range got[i] {
					if got[i][j] != c.round(want[i][j]) {
						t.Fatalf("%s %d x %d: row %d col %d = %v, want %v", c.descr, n, d, i, j, got[i][j], c.round(want[i][j]))
					}
				}
			}
			// OpenNPY gives the same rows: views of the mapped file for
			// float32 where files map.
			v, err := openNPYBytes(t, file)
			if err != nil {
				t.Fatalf("%s %d x %d: OpenNPY: %v", c.descr, n, d, err)
			}
			if v.Dim != d || len(v.Rows) != n || (v.m != nil) != (canMap && c.descr == npy.Float32) {
				t.Fatalf("%s %d x %d: OpenNPY gives %d rows of %d, mapped %v", c.descr, n, d, len(v.Rows), v.Dim, v.m != nil)
			}
			for i := range got {
				if !slices.Equal(v.Rows[i], got[i]) || cap(v.Rows[i]) != d {
					t.Fatalf("%s %d x %d: OpenNPY's row %d differs from ReadNPY's", c.descr, n, d, i)
				}
			}
			v.Close()
			if v.Rows != nil || v.m != nil {
				t.Fatalf("%s: Close keeps the rows", c.descr)
			}
			// Cut short past the first block, and in the last row: the
			// error counts the bytes that were there.
			head := len(file) - len(c.data)
			for _, keep := range []int{len(c.data) * 3 / 4, len(c.data) - 1} {
				_, _, err := ReadNPY(bytes.NewReader(file[:head+keep]))
				want := fmt.Sprintf("data cut short: %d bytes of %d", keep, len(c.data))
				if err == nil || !strings.Contains(err.Error(), want) {
					t.Fatalf("%s %d x %d cut to %d bytes of data: %v; want %q", c.descr, n, d, keep, err, want)
				}
				if _, err := openNPYBytes(t, file[:head+keep]); err == nil || !strings.Contains(err.Error(), want) {
					t.Fatalf("%s %d x %d cut to %d bytes of data: OpenNPY: %v; want %q", c.descr, n, d, keep, err, want)
				}
			}
		}
	}
	ids := []int64{5, -3, 1 << 40}
	var i8, i4 []byte
	for _, id := range ids {
		i8 = binary.LittleEndian.AppendUint64(i8, uint64(id))
	}
	for _, id := range []int32{5, -3, 7} {
		i4 = binary.LittleEndian.AppendUint32(i4, uint32(id))
	}
	if got, err := ReadNPYIDs(bytes.NewReader(npyFile(t, npy.Int64, []int{3}, i8))); err != nil || !slices.Equal(got, ids) {
		t.Errorf("int64 ids: %v, %v", got, err)
	}
	if got, err := ReadNPYIDs(bytes.NewReader(npyFile(t, npy.Int32, []int{3}, i4))); err != nil || !slices.Equal(got, []int64{5, -3, 7}) {
		t.Errorf("int32 ids: %v, %v", got, err)
	}
}

func TestReadNPYErrors(t *testing.T) {
	big := binary.LittleEndian.AppendUint64(nil, math.Float64bits(1e300))
	for _, c := range []struct {
		name string
		file []byte
		ids  bool
		want string
	}{
		{"1-D vectors", npyFile(t, npy.Float32, []int{4}, make([]byte, 16)), false, "want a 2-D array"},
		{"int vectors", npyFile(t, npy.Int32, []int{2, 2}, make([]byte, 16)), false, `vectors of type "<i4"`},
		{"float64 overflow", npyFile(t, npy.Float64, []int{1, 1}, big), false, "beyond float32's range"},
		{"cut", npyFile(t, npy.Float32, []int{4, 4}, make([]byte, 64))[:140], false, "cut short"},
		{"zero dim", npyFile(t, npy.Float32, []int{4, 0}, nil), false, "dimension 0"},
		{"lying header", npyHead(t, npy.Float32, []int{1 << 40, 1 << 10}), false, "cut short"},
		{"2-D ids", npyFile(t, npy.Int64, []int{2, 1}, make([]byte, 16)), true, "want a 1-D array"},
		{"float ids", npyFile(t, npy.Float32, []int{2}, make([]byte, 8)), true, `ids of type "<f4"`},
		{"lying ids", npyHead(t, npy.Int64, []int{1 << 50}), true, "cut short"},
	} {
		var err error
		if c.ids {
			_, err = ReadNPYIDs(bytes.NewReader(c.file))
		} else {
			_, _, err = ReadNPY(bytes.NewReader(c.file))
		}
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v; want an error containing %q", c.name, err, c.want)
		}
		if !c.ids {
			if _, err := openNPYBytes(t, c.file); err == nil || !strings.Contains(err.Error(), c.want) || strings.Contains(err.Error(), "\n") {
				t.Errorf("%s: OpenNPY: %v; want an error containing %q", c.name, err, c.want)
			}
		}
	}
	if _, err := OpenNPY(filepath.Join(t.TempDir(), "none.npy")); err == nil || !strings.Contains(err.Error(), "none.npy") {
		t.Errorf("OpenNPY of a missing file: %v", err)
	}
}

// openNPYBytes is OpenNPY of a file holding b.
func openNPYBytes(t *testing.T, b []byte) (*NPYVectors, error) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "v.npy")
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return OpenNPY(path)
}

// TestOpenNPYUnaligned reads float32 data that starts at an offset not a
// multiple of 4 (a header numpy would pad, written by another program):
// OpenNPY copies it instead of mapping it.
func TestOpenNPYUnaligned(t *testing.T) {
	dict := "{'descr': '<f4', 'fortran_order': False, 'shape': (3, 2), }"
	for len(npy.Magic)+4+len(dict)+1 < 64 || (len(npy.Magic)+4+len(dict)+1)%4 != 1 {
		dict += " "
	}
	dict += "\n"
	file := append([]byte(npy.Magic), 1, 0, byte(len(dict)), byte(len(dict)>>8))
	file = append(file, dict...)
	want := []float32{1, -2, 3.5, 4, 0.25, -6}
	for _, x := range want {
		file = binary.LittleEndian.AppendUint32(file, math.Float32bits(x))
	}
	v, err := openNPYBytes(t, file)
	if err != nil {
		t.Fatal(err)
	}
	defer v.Close()
	if v.m != nil || v.Dim != 2 || len(v.Rows) != 3 || !slices.Equal(slices.Concat(v.Rows...), want) {
		t.Fatalf("OpenNPY of an unaligned file: %v of %d (mapped %v)", v.Rows, v.Dim, v.m != nil)
	}
	empty, err := openNPYBytes(t, npyFile(t, npy.Float32, []int{0, 5}, nil))
	if err != nil || empty.Dim != 5 || len(empty.Rows) != 0 {
		t.Fatalf("OpenNPY of [0, 5]: %v, %v", empty, err)
	}
	empty.Close()
}

func npyHead(t *testing.T, descr string, shape []int) []byte {
	b, err := npy.Header{Descr: descr, Shape: shape}.Encode()
	if err != nil {
		t.Fatal(err)
	}
	return b
}
