package safetensors

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unsafe"

	"github.com/silica-go/silica/half"
)

// testTensor is a tensor to write: float values stored as dtype.
type testTensor struct {
	name  string
	dtype DType
	shape []int
	vals  []float32
}

// encodeFile writes tensors in the format by hand (the order given, with
// a __metadata__ entry and the header padded to 8 bytes as writers do).
func encodeFile(t *testing.T, ts []testTensor) []byte {
	t.Helper()
	h := map[string]any{"__metadata__": map[string]string{"format": "pt"}}
	var data []byte
	for _, x := range ts {
		begin := len(data)
		for _, v := range x.vals {
			switch x.dtype {
			case F32:
				data = binary.LittleEndian.AppendUint32(data, math.Float32bits(v))
			case F16:
				data = binary.LittleEndian.AppendUint16(data, uint16(half.FromFloat32(v)))
			case BF16:
				data = binary.LittleEndian.AppendUint16(data, uint16(half.BFromFloat32(v)))
			default:
				t.Fatalf("encodeFile: dtype %s", x.dtype)
			}
		}
		h[x.name] = map[string]any{"dtype": x.dtype, "shape": x.shape, "data_offsets": []int{begin, len(data)}}
	}
	return withHeader(t, h, data)
}

func withHeader(t *testing.T, h any, data []byte) []byte {
	t.Helper()
	js, err := json.Marshal(h)
	if err != nil {
		t.Fatal(err)
	}
	for len(js)%8 != 0 {
		js = append(js, ' ')
	}
	b := binary.LittleEndian.AppendUint64(nil, uint64(len(js)))
	return append(append(b, js...), data...)
}

func TestRoundTrip(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 17))
	var ts []testTensor
	for i, dt := range []DType{F32, F16, BF16, F32} {
		shape := []int{1 + r.IntN(13), 1 + r.IntN(7)}
		if i == 3 {
			shape = []int{}
		}
		n := 1
		for _, d := range shape {
			n *= d
		}
		vals := make([]float32, n)
		for j := range vals {
			vals[j] = float32(r.NormFloat64() * 3)
		}
		ts = append(ts, testTensor{fmt.Sprintf("layer.%d.weight", i), dt, shape, vals})
	}
	path := filepath.Join(t.TempDir(), "m.safetensors")
	if err := os.WriteFile(path, encodeFile(t, ts), 0o644); err != nil {
		t.Fatal(err)
	}
	f, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if got := f.Names(); len(got) != len(ts) {
		t.Fatalf("names %v; want %d tensors", got, len(ts))
	}
	for _, x := range ts {
		got, ok := f.Tensor(x.name)
		if !ok {
			t.Fatalf("tensor %s missing", x.name)
		}
		if got.DType != x.dtype || fmt.Sprint(got.Shape) != fmt.Sprint(x.shape) {
			t.Fatalf("%s: %s %v; want %s %v", x.name, got.DType, got.Shape, x.dtype, x.shape)
		}
		vals, err := got.Float32()
		if err != nil {
			t.Fatal(err)
		}
		for j, v := range x.vals {
			want := v
			switch x.dtype {
			case F16:
				want = half.Round16(v)
			case BF16:
				want = half.RoundB16(v)
			}
			if vals[j] != want {
				t.Fatalf("%s[%d] = %v; want %v", x.name, j, vals[j], want)
			}
		}
	}
}

func TestBadFiles(t *testing.T) {
	good := encodeFile(t, []testTensor{
		{"a", F32, []int{2, 3}, make([]float32, 6)},
		{"b", F16, []int{4}, make([]float32, 4)},
	})
	entry := func(dt string, shape []int, offs ...int) map[string]any {
		return map[string]any{"dtype": dt, "shape": shape, "data_offsets": offs}
	}
	data24 := make([]byte, 24)
	cases := []struct {
		name string
		file []byte
		want string
	}{
		{"empty", nil, "shorter than the 8-byte header length"},
		{"truncated header", good[:20], "runs past the end"},
		{"truncated data", good[:len(good)-1], `"b": data_offsets [24, 32] outside the 31 bytes`},
		{"huge length", binary.LittleEndian.AppendUint64(nil, 1<<40), "over the"},
		{"not json", append(binary.LittleEndian.AppendUint64(nil, 3), "{x}"...), "not a JSON object"},
		{"unknown dtype", withHeader(t, map[string]any{"w": entry("F33", []int{6}, 0, 24)}, data24), `"w": unknown dtype "F33"`},
		{"negative shape", withHeader(t, map[string]any{"w": entry("F32", []int{-1, 6}, 0, 24)}, data24), `"w": bad shape`},
		{"size mismatch", withHeader(t, map[string]any{"w": entry("F32", []int{5}, 0, 24)}, data24), `"w": data_offsets [0, 24] hold 24 bytes; F32 [5] needs 20`},
		{"reversed offsets", withHeader(t, map[string]any{"w": entry("F32", []int{0}, 8, 4)}, data24), `"w": data_offsets [8, 4]`},
		{"one offset", withHeader(t, map[string]any{"w": entry("F32", []int{0}, 8)}, data24), "want [begin, end]"},
		{"overlap", withHeader(t, map[string]any{
			"w": entry("F32", []int{4}, 0, 16), "v": entry("F32", []int{2}, 8, 16)}, data24), `"w" and "v" overlap`},
		{"extra field", withHeader(t, map[string]any{"w": map[string]any{"dtype": "F32", "shape": []int{1}, "data_offsets": []int{0, 4}, "x": 1}}, data24), "bad header entry"},
	}
	for _, c := range cases {
		_, err := Parse("m.safetensors", c.file)
		if err == nil || !strings.Contains(err.Error(), c.want) || strings.Contains(err.Error(), "\n") {
			t.Errorf("%s: error %v; want one line containing %q", c.name, err, c.want)
		}
	}
	// Open gives the same errors for a file on disk.
	path := filepath.Join(t.TempDir(), "cut.safetensors")
	if err := os.WriteFile(path, good[:len(good)-1], 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(path); err == nil || !strings.Contains(err.Error(), "cut.safetensors") {
		t.Errorf("Open of a truncated file: %v; want an error naming it", err)
	}
	f, err := Parse("m", withHeader(t, map[string]any{"p": entry("I64", []int{3}, 0, 24)}, data24))
	if err != nil {
		t.Fatal(err)
	}
	p, _ := f.Tensor("p")
	if _, err := p.Float32(); err == nil || !strings.Contains(err.Error(), `"p" is I64`) {
		t.Errorf("Float32 of an I64 tensor: %v", err)
	}
}

// FuzzParse checks that no input makes Parse panic, and that what it
// accepts is consistent: every tensor's bytes lie in the file, match its
// shape, and overlap no other's.
func FuzzParse(f *testing.F) {
	f.Add(withHeader(&testing.T{}, map[string]any{"w": map[string]any{"dtype": "F32", "shape": []int{2}, "data_offsets": []int{0, 8}}}, make([]byte, 8)))
	f.Add([]byte("\x02\x00\x00\x00\x00\x00\x00\x00{}"))
	f.Fuzz(func(t *testing.T, b []byte) {
		sf, err := Parse("fuzz", b)
		if err != nil {
			return
		}
		type span struct{ lo, hi uintptr }
		var spans []span
		for _, name := range sf.Names() {
			x, _ := sf.Tensor(name)
			if len(x.Data) != x.Size()*x.DType.Size() {
				t.Fatalf("%s: %d bytes for %s %v", name, len(x.Data), x.DType, x.Shape)
			}
			if len(x.Data) == 0 {
				continue
			}
			lo := uintptr(unsafe.Pointer(unsafe.SliceData(x.Data)))
			s := span{lo, lo + uintptr(len(x.Data))}
			for _, o := range spans {
				if s.lo < o.hi && o.lo < s.hi {
					t.Fatalf("%s overlaps another tensor", name)
				}
			}
			spans = append(spans, s)
		}
	})
}
