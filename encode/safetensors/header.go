package safetensors

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"sort"
)

// MaxHeader is the largest header length Parse accepts (100 MB, as the
// format's reference implementation does): a larger one is a corrupt
// length, not a real header.
const MaxHeader = 100 << 20

// maxElements bounds a tensor's element count, so that sizes never
// overflow (2^50, far past any file).
const maxElements = 1 << 50

// DType is a tensor's element type, as the header spells it ("F32").
type DType string

// The dtypes of the format.
const (
	F64     DType = "F64"
	F32     DType = "F32"
	F16     DType = "F16"
	BF16    DType = "BF16"
	I64     DType = "I64"
	I32     DType = "I32"
	I16     DType = "I16"
	I8      DType = "I8"
	U64     DType = "U64"
	U32     DType = "U32"
	U16     DType = "U16"
	U8      DType = "U8"
	Bool    DType = "BOOL"
	F8E4M3  DType = "F8_E4M3"
	F8E5M2  DType = "F8_E5M2"
	invalid DType = ""
)

// Size returns the bytes of one element, or 0 for a dtype the format does
// not define.
func (d DType) Size() int {
	switch d {
	case F64, I64, U64:
		return 8
	case F32, I32, U32:
		return 4
	case F16, BF16, I16, U16:
		return 2
	case I8, U8, Bool, F8E4M3, F8E5M2:
		return 1
	}
	return 0
}

// Tensor is one tensor of a file: its name, dtype, shape and bytes
// (little-endian, C order; a view of the file's bytes, valid until the
// File is closed).
type Tensor struct {
	Name  string
	DType DType
	Shape []int
	Data  []byte
}

// Size returns the number of elements (1 for a scalar of shape []).
func (t Tensor) Size() int {
	n := 1
	for _, d := range t.Shape {
		n *= d
	}
	return n
}

// entry is one tensor's header entry as the JSON spells it.
type entry struct {
	DType   DType   `json:"dtype"`
	Shape   []int64 `json:"shape"`
	Offsets []int64 `json:"data_offsets"`
}

// parseHeader checks the header JSON h against a data section of
// dataLen bytes and returns the tensors in the order of their offsets,
// with Data unset. name prefixes errors (the file's path).
func parseHeader(name string, h []byte, dataLen int64) ([]Tensor, []int64, error) {
	h = bytes.TrimRight(h, " ") // the format pads the header with spaces
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(h, &raw); err != nil {
		return nil, nil, fmt.Errorf("safetensors: %s: header is not a JSON object: %v", name, err)
	}
	type placed struct {
		t          Tensor
		begin, end int64
	}
	ps := make([]placed, 0, len(raw))
	for k, v := range raw {
		if k == "__metadata__" {
			continue
		}
		var e entry
		dec := json.NewDecoder(bytes.NewReader(v))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&e); err != nil {
			return nil, nil, fmt.Errorf("safetensors: %s: tensor %q: bad header entry: %v", name, k, err)
		}
		size := e.DType.Size()
		if size == 0 {
			return nil, nil, fmt.Errorf("safetensors: %s: tensor %q: unknown dtype %q", name, k, e.DType)
		}
		if e.Shape == nil {
			return nil, nil, fmt.Errorf("safetensors: %s: tensor %q: no shape", name, k)
		}
		n := int64(1)
		shape := make([]int, len(e.Shape))
		for i, d := range e.Shape {
			if d < 0 || (d > 0 && n > maxElements/d) {
				return nil, nil, fmt.Errorf("safetensors: %s: tensor %q: bad shape %v", name, k, e.Shape)
			}
			n *= d
			shape[i] = int(d)
		}
		if len(e.Offsets) != 2 {
			return nil, nil, fmt.Errorf("safetensors: %s: tensor %q: data_offsets %v; want [begin, end]", name, k, e.Offsets)
		}
		b, end := e.Offsets[0], e.Offsets[1]
		if b < 0 || end < b || end > dataLen {
			return nil, nil, fmt.Errorf("safetensors: %s: tensor %q: data_offsets [%d, %d] outside the %d bytes of data (file truncated?)", name, k, b, end, dataLen)
		}
		if end-b != n*int64(size) {
			return nil, nil, fmt.Errorf("safetensors: %s: tensor %q: data_offsets [%d, %d] hold %d bytes; %s %v needs %d", name, k, b, end, end-b, e.DType, e.Shape, n*int64(size))
		}
		ps = append(ps, placed{Tensor{Name: k, DType: e.DType, Shape: shape}, b, end})
	}
	sort.Slice(ps, func(i, j int) bool {
		if ps[i].begin != ps[j].begin {
			return ps[i].begin < ps[j].begin
		}
		return ps[i].end < ps[j].end
	})
	ts := make([]Tensor, len(ps))
	offs := make([]int64, 2*len(ps))
	for i, p := range ps {
		if i > 0 && p.begin < ps[i-1].end {
			return nil, nil, fmt.Errorf("safetensors: %s: tensors %q and %q overlap (bytes [%d, %d) and [%d, %d))",
				name, ps[i-1].t.Name, p.t.Name, ps[i-1].begin, ps[i-1].end, p.begin, p.end)
		}
		ts[i] = p.t
		offs[2*i], offs[2*i+1] = p.begin, p.end
	}
	return ts, offs, nil
}

// split checks the 8-byte length prefix of a file of the given bytes and
// returns the header JSON and the data section.
func split(name string, b []byte) (header, data []byte, err error) {
	if len(b) < 8 {
		return nil, nil, fmt.Errorf("safetensors: %s: %d bytes, shorter than the 8-byte header length (file truncated?)", name, len(b))
	}
	n := binary.LittleEndian.Uint64(b)
	if n > MaxHeader {
		return nil, nil, fmt.Errorf("safetensors: %s: header length %d is over the %d-byte limit (not a safetensors file?)", name, n, MaxHeader)
	}
	if n > uint64(len(b)-8) {
		return nil, nil, fmt.Errorf("safetensors: %s: header length %d runs past the end of the %d-byte file (file truncated?)", name, n, len(b))
	}
	return b[8 : 8+n], b[8+n:], nil
}
