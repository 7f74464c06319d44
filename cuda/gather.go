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
	registerFamily(func() []variant {
		var vs []variant
		for _, w := range copyWords {
			vs = append(vs, gatherVariant(engine.Int32, w.bytes, w.ctype), sliceVariant(w.bytes, w.ctype))
		}
		return vs
	}, gatherRowsArgs{}, sliceRowsArgs{})
}

// copyWords are the units the gather kernels copy, widest first, with
// their C types.
var copyWords = []struct {
	bytes int
	ctype string
}{{16, "uint4"}, {4, "u32"}, {1, "unsigned char"}}

// word picks the widest copy unit of copyWords dividing every size.
func word(sizes ...int) (int, string) {
next:
	for _, w := range copyWords {
		for _, s := range sizes {
			if s%w.bytes != 0 {
				continue next
			}
		}
		return w.bytes, w.ctype
	}
	return 1, "unsigned char"
}

// gatherKernel copies the indexed rows. Out-of-range indices are found on
// the device; after the run the first one fails the evaluation with
// engine.ErrIndexOutOfRange (its position read back in the stream's
// order, readAfter).
func gatherKernel(r *runner, s *engine.Step, in, out []arg) error {
	x, ix := in[0], in[1]
	n := x.Shape[0]
	rowBytes := x.Bytes() / n
	nidx := ix.Shape.Size()
	w, wt := word(rowBytes)
	bad, err := r.tmp(8)
	if err != nil {
		return err
	}
	if err := r.memset32(bad, 0xffffffff, 2); err != nil {
		return err
	}
	rw := rowBytes / w
	if err := launch(r.d, gatherVariant(ix.DType, w, wt), [3]int{r.d.blocks(nidx, 8)}, 256, 0,
		gatherRowsArgs{x: x.ptr, idx: ix.ptr, out: out[0].ptr, nidx: int64(nidx), n: int64(n), rowWords: int64(rw), bad: bad}); err != nil {
		return err
	}
	first, err := r.readAfter(bad, 8)
	if err != nil {
		return err
	}
	r.after = append(r.after, func() error {
		var pos uint64
		if first != nil {
			pos = binary.LittleEndian.Uint64(first)
		} else if err := check("cuMemcpyDtoH", cuMemcpyDtoH(unsafe.Pointer(&pos), bad, 8)); err != nil {
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
		if r.d.dry {
			return nil
		}
		n := uint64(rows * d * es)
		return check("cuMemcpyDtoDAsync", cuMemcpyDtoDAsync(out[0].ptr, x.ptr+uint64(r0*d*es), n, r.d.stream))
	}
	w, wt := word((c1-c0)*es, c0*es, d*es)
	cols := (c1 - c0) * es / w
	return launch(r.d, sliceVariant(w, wt), [3]int{r.d.blocks(rows, 8)}, 256, 0, sliceRowsArgs{x: x.ptr, out: out[0].ptr,
		rows: int64(rows), cols: int64(cols), stride: int64(d * es / w), r0: int64(r0), c0: int64(c0 * es / w)})
}

// gatherVariant is gather.cu's gather_rows by indices of dtype idx,
// copying words of w bytes, C type wt (see word).
func gatherVariant(idx engine.DType, w int, wt string) variant {
	return variant{file: "gather.cu", kind: "rows", dtype: idx, params: []string{fmt.Sprintf("w%d", w)},
		defines: []string{"W=" + wt, "IDX=" + ctype(idx)}}
}

// sliceVariant is gather.cu's slice_rows copying words of w bytes, C
// type wt (see word).
func sliceVariant(w int, wt string) variant {
	return variant{file: "gather.cu", kind: "slice", params: []string{fmt.Sprintf("w%d", w)}, defines: []string{"W=" + wt}}
}

// gatherRowsArgs are the parameters of gather_rows (gather.cu).
type gatherRowsArgs struct {
	x, idx, out       dptr
	nidx, n, rowWords int64
	bad               dptr
}

func (gatherRowsArgs) entry() (string, string) { return "gather.cu", "gather_rows" }
func (p gatherRowsArgs) pack(a *argPack) {
	a.ptr(p.x).ptr(p.idx).ptr(p.out).i64(p.nidx).i64(p.n).i64(p.rowWords).ptr(p.bad)
}

// sliceRowsArgs are the parameters of slice_rows (gather.cu).
type sliceRowsArgs struct {
	x, out                     dptr
	rows, cols, stride, r0, c0 int64
}

func (sliceRowsArgs) entry() (string, string) { return "gather.cu", "slice_rows" }
func (p sliceRowsArgs) pack(a *argPack) {
	a.ptr(p.x).ptr(p.out).i64(p.rows).i64(p.cols).i64(p.stride).i64(p.r0).i64(p.c0)
}
