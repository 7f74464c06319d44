package safetensors

import (
	"encoding/binary"
	"fmt"
	"math"
	"os"

	"github.com/silica-go/silica/half"
)

// File is an opened safetensors file: its tensors by name, with their
// bytes in place.
type File struct {
	name    string
	tensors map[string]Tensor
	order   []string // by offset
	data    []byte   // the whole file
	mapped  bool
}

// Open reads the safetensors file at path, memory-mapped where the
// platform can, and checks its header (see the package doc for the
// errors). Close releases it.
func Open(path string) (*File, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("safetensors: %w", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("safetensors: %w", err)
	}
	if st.Size() < 8 {
		return nil, fmt.Errorf("safetensors: %s: %d bytes, shorter than the 8-byte header length (file truncated?)", path, st.Size())
	}
	b, mapped, err := mapFile(f, st.Size())
	if err != nil {
		return nil, fmt.Errorf("safetensors: %s: %w", path, err)
	}
	sf, err := parse(path, b)
	if err != nil {
		if mapped {
			unmap(b)
		}
		return nil, err
	}
	sf.mapped = mapped
	return sf, nil
}

// Parse checks the bytes of a whole safetensors file already in memory;
// the tensors' Data are views of b. name is used in errors.
func Parse(name string, b []byte) (*File, error) { return parse(name, b) }

func parse(name string, b []byte) (*File, error) {
	h, data, err := split(name, b)
	if err != nil {
		return nil, err
	}
	ts, offs, err := parseHeader(name, h, int64(len(data)))
	if err != nil {
		return nil, err
	}
	f := &File{name: name, tensors: make(map[string]Tensor, len(ts)), data: b}
	for i, t := range ts {
		t.Data = data[offs[2*i]:offs[2*i+1]:offs[2*i+1]]
		f.tensors[t.Name] = t
		f.order = append(f.order, t.Name)
	}
	return f, nil
}

// Name returns the path the file was opened from.
func (f *File) Name() string { return f.name }

// Names returns the tensors' names in the order of their bytes.
func (f *File) Names() []string { return append([]string(nil), f.order...) }

// Tensor returns the tensor called name.
func (f *File) Tensor(name string) (Tensor, bool) {
	t, ok := f.tensors[name]
	return t, ok
}

// Close releases the file's bytes; tensors taken from it must not be used
// afterwards.
func (f *File) Close() error {
	if f.mapped && f.data != nil {
		unmap(f.data)
	}
	f.data, f.tensors, f.order = nil, nil, nil
	return nil
}

// Float32 returns the tensor's elements converted to float32 (exact for
// F16 and BF16); other dtypes are an error naming the tensor.
func (t Tensor) Float32() ([]float32, error) {
	n := t.Size()
	out := make([]float32, n)
	switch t.DType {
	case F32:
		for i := range out {
			out[i] = math.Float32frombits(binary.LittleEndian.Uint32(t.Data[4*i:]))
		}
	case F16:
		for i := range out {
			out[i] = half.Float16(binary.LittleEndian.Uint16(t.Data[2*i:])).Float32()
		}
	case BF16:
		for i := range out {
			out[i] = math.Float32frombits(uint32(binary.LittleEndian.Uint16(t.Data[2*i:])) << 16)
		}
	default:
		return nil, fmt.Errorf("safetensors: tensor %q is %s; want F32, F16 or BF16", t.Name, t.DType)
	}
	return out, nil
}
