package cuda

import (
	"encoding/binary"
	"fmt"
	"unsafe"

	"github.com/silica-go/silica/engine"
)

func init() {
	kernels[engine.OpGather] = gatherKernel
	kernels[engine.OpSlice] = sliceKernel
}

// word picks the widest copy unit (16, 4 or 1 bytes) dividing every size.
func word(sizes ...int) (int, string) {
	w := 16
	for _, s := range sizes {
		for s%w != 0 {
			w /= 4
			if w < 4 {
				return 1, "unsigned char"
			}
		}
	}
	if w == 16 {
		return 16, "uint4"
	}
	return 4, "u32"
}

// gatherKernel copies the indexed rows. Out-of-range indices are found on
// the device; after the run the first one fails the evaluation with
// engine.ErrIndexOutOfRange.
func gatherKernel(r *runner, s *engine.Step, in, out []arg) error {
	x, ix := in[0], in[1]
	n := x.Shape[0]
	rowBytes := x.Bytes() / n
	nidx := ix.Shape[0]
	w, wt := word(rowBytes)
	bad, err := r.tmp(8)
	if err != nil {
		return err
	}
	if err := check("cuMemsetD32Async", cuMemsetD32Async(bad, 0xffffffff, 2, r.d.stream)); err != nil {
		return err
	}
	v := variant{file: "gather.cu", kind: "rows", dtype: ix.DType, params: []string{fmt.Sprintf("w%d", w)},
		defines: []string{"W=" + wt, "IDX=" + ctype(ix.DType)}}
	rw := rowBytes / w
	if err := r.d.run(v, "gather_rows", [3]int{r.d.blocks(nidx, 8)}, 256, 0,
		x.ptr, ix.ptr, out[0].ptr, int64(nidx), int64(n), int64(rw), bad); err != nil {
		return err
	}
	r.after = append(r.after, func() error {
		var pos uint64
		if err := check("cuMemcpyDtoH", cuMemcpyDtoH(unsafe.Pointer(&pos), bad, 8)); err != nil {
			return err
		}
		if pos == ^uint64(0) {
			return nil
		}
		es := ix.DType.Size()
		var raw [8]byte
		if err := check("cuMemcpyDtoH", cuMemcpyDtoH(unsafe.Pointer(&raw[0]), ix.ptr+pos*uint64(es), uint64(es))); err != nil {
			return err
		}
		val := int64(binary.LittleEndian.Uint64(raw[:]))
		if es == 4 {
			val = int64(int32(binary.LittleEndian.Uint32(raw[:])))
		}
		return fmt.Errorf("%w: index %d at position %d, rows [0, %d)", engine.ErrIndexOutOfRange, val, pos, n)
	})
	return nil
}

// sliceKernel copies rows [r0, r1) and columns [c0, c1) as a contiguous
// array; a vector is one row.
func sliceKernel(r *runner, s *engine.Step, in, out []arg) error {
	x := in[0]
	es := x.DType.Size()
	r0, r1 := s.Attrs.Rows[0], s.Attrs.Rows[1]
	rows, d, c0, c1 := r1-r0, 1, 0, 1
	if len(x.Shape) == 2 {
		d, c0, c1 = x.Shape[1], s.Attrs.Cols[0], s.Attrs.Cols[1]
	} else {
		rows, d, c0, c1 = 1, x.Shape[0], r0, r1
		r0 = 0
	}
	if c0 == 0 && c1 == d { // whole rows: one contiguous copy
		n := uint64(rows * d * es)
		return check("cuMemcpyDtoDAsync", cuMemcpyDtoDAsync(out[0].ptr, x.ptr+uint64(r0*d*es), n, r.d.stream))
	}
	w, wt := word((c1-c0)*es, c0*es, d*es)
	cols := (c1 - c0) * es / w
	v := variant{file: "gather.cu", kind: "slice", params: []string{fmt.Sprintf("w%d", w)},
		defines: []string{"W=" + wt}}
	return r.d.run(v, "slice_rows", [3]int{r.d.blocks(rows, 8)}, 256, 0,
		x.ptr, out[0].ptr, int64(rows), int64(cols), int64(d*es/w), int64(r0), int64(c0*es/w))
}
