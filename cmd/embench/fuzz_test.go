package main

import (
	"bytes"
	"encoding/binary"
	"math"
	"reflect"
	"strings"
	"testing"

	"github.com/silica-go/silica/store/npy"
)

// f16 decodes an IEEE half-precision value, independently of package half.
func f16(b uint16) float64 {
	sign := 1.0
	if b&0x8000 != 0 {
		sign = -1
	}
	e, m := int(b>>10&0x1f), float64(b&0x3ff)
	switch e {
	case 0:
		return sign * math.Ldexp(m, -24)
	case 31:
		if m != 0 {
			return math.NaN()
		}
		return sign * math.Inf(1)
	}
	return sign * math.Ldexp(1+m/1024, e-15)
}

// FuzzParseNPY checks that the tensor parseNPY makes of a peer's output
// has the file's shape and elements (floats rounded to float32, integers
// widened to int64), and that a file it refuses gets one line.
func FuzzParseNPY(f *testing.F) {
	for i, d := range []string{npy.Float32, npy.Float16, npy.Float64, npy.Int32, npy.Int64, npy.Int8, "<u4"} {
		h := npy.Header{Descr: d, Shape: []int{2, i + 1}}
		data := make([]byte, h.DataBytes())
		for j := range data {
			data[j] = byte(37*j + i)
		}
		var b bytes.Buffer
		if _, err := npy.Write(&b, d, h.Shape, data); err != nil {
			f.Fatal(err)
		}
		f.Add(b.Bytes())
	}
	f.Fuzz(func(t *testing.T, file []byte) {
		tn, err := parseNPY(bytes.NewReader(file))
		if err != nil {
			if msg := err.Error(); strings.ContainsAny(msg, "\n\r") || len(msg) > 4096 {
				t.Fatalf("error is not one line: %q", msg)
			}
			return
		}
		h, data, err := npy.ReadArray(bytes.NewReader(file))
		if err != nil {
			t.Fatalf("parseNPY accepts what npy.ReadArray refuses: %v", err)
		}
		if !reflect.DeepEqual(tn.Shape, h.Shape) || len(tn.F32)+len(tn.I64) != h.Count() || (tn.F32 != nil) == (tn.I64 != nil) && h.Count() > 0 {
			t.Fatalf("%+v parsed as shape %v with %d floats, %d ints", h, tn.Shape, len(tn.F32), len(tn.I64))
		}
		for i := range h.Count() {
			e := data[i*h.ElemSize():]
			var got, want float64
			switch h.Descr {
			case npy.Float32:
				got, want = float64(tn.F32[i]), float64(math.Float32frombits(binary.LittleEndian.Uint32(e)))
			case npy.Float16:
				got, want = float64(tn.F32[i]), f16(binary.LittleEndian.Uint16(e))
			case npy.Float64:
				got, want = float64(tn.F32[i]), float64(float32(math.Float64frombits(binary.LittleEndian.Uint64(e))))
			case npy.Int32:
				if tn.I64[i] != int64(int32(binary.LittleEndian.Uint32(e))) {
					t.Fatalf("element %d is %d; the file holds %d", i, tn.I64[i], int32(binary.LittleEndian.Uint32(e)))
				}
				continue
			case npy.Int64:
				if tn.I64[i] != int64(binary.LittleEndian.Uint64(e)) {
					t.Fatalf("element %d is %d; the file holds %d", i, tn.I64[i], int64(binary.LittleEndian.Uint64(e)))
				}
				continue
			default:
				t.Fatalf("parseNPY accepts descr %q", h.Descr)
			}
			if got != want && !(math.IsNaN(got) && math.IsNaN(want)) {
				t.Fatalf("element %d is %v; the file holds %v", i, got, want)
			}
		}
	})
}
