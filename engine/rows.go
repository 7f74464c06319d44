package engine

import (
	"fmt"

	"github.com/silica-go/silica/internal/par"
)

// RowsWriter is implemented by backends that write rows held in separate
// host slices into a buffer without first joining them in host memory:
// CUDA fills its pinned staging buffers from them directly, so a batch of
// rows crosses host memory once on its way to the device.
type RowsWriter interface {
	// WriteRows copies the rows, one after another, into dst at byte
	// offset off. Every row has the same length, and there is at least one.
	WriteRows(dst Buffer, off int, rows [][]byte) error
}

// FromFloat32Rows makes a len(rows) x cols Float32 array from one slice
// per row, each of length cols (copied): FromFloat32 of the rows joined,
// without the joined copy where the backend writes rows itself
// (RowsWriter).
func (e *Engine) FromFloat32Rows(rows [][]float32, cols int) (*Array, error) {
	shape := []int{len(rows), cols}
	if err := checkShape("FromFloat32Rows", shape); err != nil {
		return nil, err
	}
	for i, r := range rows {
		if len(r) != cols {
			return nil, fmt.Errorf("engine: FromFloat32Rows: row %d has %d values, want %d", i, len(r), cols)
		}
	}
	rw, ok := e.b.(RowsWriter)
	if !ok || !littleEndian {
		flat := make([]float32, len(rows)*cols)
		par.Rows(len(rows), cols, func(lo, hi int) {
			for i := lo; i < hi; i++ {
				copy(flat[i*cols:], rows[i])
			}
		})
		return e.FromFloat32(flat, shape...)
	}
	raw := make([][]byte, len(rows))
	for i, r := range rows {
		raw[i] = asBytes(r)
	}
	return e.uploadWith(Float32, shape, func() (Buffer, error) {
		return e.written(len(rows)*cols*4, func(buf Buffer) error { return rw.WriteRows(buf, 0, raw) })
	})
}
