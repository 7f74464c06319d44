package store

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math"
	"math/rand/v2"
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
			// Cut short past the first block, and in the last row: the
			// error counts the bytes that were there.
			head := len(file) - len(c.data)
			for _, keep := range []int{len(c.data) * 3 / 4, len(c.data) - 1} {
				_, _, err := ReadNPY(bytes.NewReader(file[:head+keep]))
				if want := fmt.Sprintf("data cut short: %d bytes of %d", keep, len(c.data)); err == nil || !strings.Contains(err.Error(), want) {
					t.Fatalf("%s %d x %d cut to %d bytes of data: %v; want %q", c.descr, n, d, keep, err, want)
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
	}
}

func npyHead(t *testing.T, descr string, shape []int) []byte {
	b, err := npy.Header{Descr: descr, Shape: shape}.Encode()
	if err != nil {
		t.Fatal(err)
	}
	return b
}
