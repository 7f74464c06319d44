package main

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"os"
	"regexp"
	"strconv"
	"strings"

	"github.com/silica-go/silica/engine"
	"github.com/silica-go/silica/half"
)

// The NumPy .npy format (version 1.0), enough to hand arrays to the Python
// peers and read their results: a magic string, a header length, a Python
// dict literal giving descr, fortran_order and shape, padded so that the
// data starts at a multiple of 64 bytes, then the elements in C order.
// See numpy/lib/format.py.

const npyMagic = "\x93NUMPY\x01\x00"

// writeNPY writes t to path as '<f4' or '<i8'.
func writeNPY(path string, t *tensor) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	w := bufio.NewWriterSize(f, 1<<20)
	descr := "<f4"
	if t.I64 != nil {
		descr = "<i8"
	}
	dims := make([]string, len(t.Shape))
	for i, d := range t.Shape {
		dims[i] = strconv.Itoa(d)
	}
	shape := strings.Join(dims, ", ")
	if len(dims) == 1 {
		shape += ","
	}
	header := fmt.Sprintf("{'descr': '%s', 'fortran_order': False, 'shape': (%s), }", descr, shape)
	pad := 64 - (len(npyMagic)+2+len(header)+1)%64
	header += strings.Repeat(" ", pad%64) + "\n"
	w.WriteString(npyMagic)
	binary.Write(w, binary.LittleEndian, uint16(len(header)))
	w.WriteString(header)
	for lo := 0; lo < len(t.F32); lo += 1 << 16 {
		raw, _ := engine.EncodeFloat32(engine.Float32, t.F32[lo:min(len(t.F32), lo+1<<16)])
		w.Write(raw)
	}
	var buf [8]byte
	for _, v := range t.I64 {
		binary.LittleEndian.PutUint64(buf[:], uint64(v))
		w.Write(buf[:])
	}
	if err := w.Flush(); err != nil {
		f.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	return f.Close()
}

var (
	npyDescr = regexp.MustCompile(`'descr':\s*'([^']*)'`)
	npyOrder = regexp.MustCompile(`'fortran_order':\s*(True|False)`)
	npyShape = regexp.MustCompile(`'shape':\s*\(([^)]*)\)`)
)

// readNPY reads a C-order .npy file of float16, float32, float64, int32 or
// int64 elements (little-endian) into a tensor (floats as float32).
func readNPY(path string) (tensor, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return tensor{}, err
	}
	t, err := parseNPY(raw)
	if err != nil {
		return tensor{}, fmt.Errorf("%s: %w", path, err)
	}
	return t, nil
}

func parseNPY(raw []byte) (tensor, error) {
	if len(raw) < 10 || !bytes.HasPrefix(raw, []byte("\x93NUMPY")) {
		return tensor{}, fmt.Errorf("not a .npy file")
	}
	var hlen, off int
	switch raw[6] {
	case 1:
		hlen, off = int(binary.LittleEndian.Uint16(raw[8:])), 10
	case 2, 3:
		if len(raw) < 12 {
			return tensor{}, io.ErrUnexpectedEOF
		}
		hlen, off = int(binary.LittleEndian.Uint32(raw[8:])), 12
	default:
		return tensor{}, fmt.Errorf(".npy version %d.%d not supported", raw[6], raw[7])
	}
	if off+hlen > len(raw) {
		return tensor{}, fmt.Errorf("header of %d bytes runs past the end of the file", hlen)
	}
	header := string(raw[off : off+hlen])
	data := raw[off+hlen:]
	d, o, s := npyDescr.FindStringSubmatch(header), npyOrder.FindStringSubmatch(header), npyShape.FindStringSubmatch(header)
	if d == nil || o == nil || s == nil {
		return tensor{}, fmt.Errorf("header %q lacks descr, fortran_order or shape", header)
	}
	if o[1] == "True" {
		return tensor{}, fmt.Errorf("Fortran order not supported")
	}
	t := tensor{}
	for _, f := range strings.Split(s[1], ",") {
		if f = strings.TrimSpace(f); f == "" {
			continue
		}
		n, err := strconv.Atoi(f)
		if err != nil || n < 0 {
			return tensor{}, fmt.Errorf("bad shape %q", s[1])
		}
		t.Shape = append(t.Shape, n)
	}
	n := 1
	for _, x := range t.Shape {
		n *= x
	}
	sizes := map[string]int{"<f2": 2, "<f4": 4, "<f8": 8, "<i4": 4, "<i8": 8}
	size, ok := sizes[d[1]]
	if !ok {
		return tensor{}, fmt.Errorf("dtype %s not supported (want <f2, <f4, <f8, <i4 or <i8)", d[1])
	}
	if len(data) != n*size {
		return tensor{}, fmt.Errorf("%d data bytes for shape %v of %s: want %d", len(data), t.Shape, d[1], n*size)
	}
	switch d[1] {
	case "<f2":
		t.F32 = make([]float32, n)
		half.DecodeFloat16(t.F32, data)
	case "<f4":
		t.F32 = make([]float32, n)
		for i := range t.F32 {
			t.F32[i] = math.Float32frombits(binary.LittleEndian.Uint32(data[4*i:]))
		}
	case "<f8":
		t.F32 = make([]float32, n)
		for i := range t.F32 {
			t.F32[i] = float32(math.Float64frombits(binary.LittleEndian.Uint64(data[8*i:])))
		}
	case "<i4":
		t.I64 = make([]int64, n)
		for i := range t.I64 {
			t.I64[i] = int64(int32(binary.LittleEndian.Uint32(data[4*i:])))
		}
	case "<i8":
		t.I64 = make([]int64, n)
		for i := range t.I64 {
			t.I64[i] = int64(binary.LittleEndian.Uint64(data[8*i:]))
		}
	}
	return t, nil
}
