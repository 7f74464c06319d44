package main

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"os"

	"github.com/silica-go/silica/engine"
	"github.com/silica-go/silica/half"
	"github.com/silica-go/silica/store/npy"
)

// The Python peers get their inputs and return their outputs as .npy
// files, in the format of package store/npy.

// writeNPY writes t to path as '<f4' or '<i8', streaming the elements so
// that a large input needs no second copy in memory.
func writeNPY(path string, t *tensor) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	w := bufio.NewWriterSize(f, 1<<20)
	h := npy.Header{Descr: npy.Float32, Shape: t.Shape}
	if t.I64 != nil {
		h.Descr = npy.Int64
	}
	head, err := h.Encode()
	if err == nil {
		_, err = w.Write(head)
	}
	for lo := 0; err == nil && lo < len(t.F32); lo += 1 << 16 {
		raw, _ := engine.EncodeFloat32(engine.Float32, t.F32[lo:min(len(t.F32), lo+1<<16)])
		_, err = w.Write(raw)
	}
	var buf [8]byte
	for i := 0; err == nil && i < len(t.I64); i++ {
		binary.LittleEndian.PutUint64(buf[:], uint64(t.I64[i]))
		_, err = w.Write(buf[:])
	}
	if err == nil {
		err = w.Flush()
	}
	if err != nil {
		f.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	return f.Close()
}

// readNPY reads a .npy file of float16, float32, float64, int32 or int64
// elements into a tensor (floats as float32).
func readNPY(path string) (tensor, error) {
	f, err := os.Open(path)
	if err != nil {
		return tensor{}, err
	}
	defer f.Close()
	t, err := parseNPY(bufio.NewReaderSize(f, 1<<20))
	if err != nil {
		return tensor{}, fmt.Errorf("%s: %w", path, err)
	}
	return t, nil
}

func parseNPY(r io.Reader) (tensor, error) {
	h, data, err := npy.ReadArray(r)
	if err != nil {
		return tensor{}, err
	}
	t := tensor{Shape: h.Shape}
	n := h.Count()
	switch h.Descr {
	case npy.Float16:
		t.F32 = make([]float32, n)
		half.DecodeFloat16(t.F32, data)
	case npy.Float32:
		t.F32 = engine.DecodeFloat32(engine.Float32, data)
	case npy.Float64:
		t.F32 = make([]float32, n)
		for i := range t.F32 {
			t.F32[i] = float32(math.Float64frombits(binary.LittleEndian.Uint64(data[8*i:])))
		}
	case npy.Int32:
		t.I64 = make([]int64, n)
		for i := range t.I64 {
			t.I64[i] = int64(int32(binary.LittleEndian.Uint32(data[4*i:])))
		}
	case npy.Int64:
		t.I64 = make([]int64, n)
		for i := range t.I64 {
			t.I64[i] = int64(binary.LittleEndian.Uint64(data[8*i:]))
		}
	default:
		return tensor{}, fmt.Errorf("dtype %.48q not supported (want <f2, <f4, <f8, <i4 or <i8)", h.Descr)
	}
	return t, nil
}
