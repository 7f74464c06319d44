package store

import (
	"fmt"
	"math"

	"github.com/silica-go/silica/engine"
	"github.com/silica-go/silica/half"
)

// deviceSlack makes a device arena grow by a twentieth (doubling while
// small, see growRows): the rows take at most 1.05 x their size plus
// 64 MiB, and each row is copied about twenty times at most by growth.
const deviceSlack = 20

// writeDevice writes an add's batch into device arenas: the float32 rows
// copied to the device once, normalized, converted or quantized there,
// checked by their norms (read back, one float a row), then copied into
// each arena past the rows readers see (engine.CopyRows), the arena grown
// on the device first when full; the ids likewise. It returns the next
// rows of each chunk's arena; on an error nothing has changed.
func (s *Store) writeDevice(op string, chunks []chunk, ids []int64, vectors [][]float32, flat []float32) ([]rows, error) {
	x, sc, err := s.convertDevice(op, ids, vectors, flat)
	if err != nil {
		return nil, err
	}
	defer x.Free()
	if sc != nil {
		defer sc.Free()
	}
	dids, err := s.e.FromInt64(ids, len(ids))
	if err != nil {
		return nil, opErr(err, "%s", op)
	}
	defer dids.Free()
	d, dt := s.cfg.dim, s.cfg.dtype
	rb := d * dt.Size()
	next := make([]rows, len(chunks))
	var made []*engine.Array
	fail := func(err error) ([]rows, error) {
		for _, a := range made {
			a.Free()
		}
		return nil, opErr(err, "%s", op)
	}
	for i, c := range chunks {
		var cur rows
		if c.a != nil {
			cur = c.a.rows
		}
		n, need := cur.n(), cur.n()+c.hi-c.lo
		nx := rows{buf: cur.buf, sbuf: cur.sbuf, ibuf: cur.ibuf, ids: append(cur.ids, ids[c.lo:c.hi]...)}
		if cur.buf == nil || cur.capacity(rb) < need {
			nc := growRows(need, rb, deviceSlack, s.cfg.segRows)
			if nx.buf, err = s.grow(cur.x, dt, nc, d); err != nil {
				return fail(err)
			}
			made = append(made, nx.buf)
			if nx.ibuf, err = s.grow(cur.xids, engine.Int64, nc); err != nil {
				return fail(err)
			}
			made = append(made, nx.ibuf)
			if sc != nil {
				if nx.sbuf, err = s.grow(cur.scales, engine.Float32, nc); err != nil {
					return fail(err)
				}
				made = append(made, nx.sbuf)
			}
		}
		if err := copyPart(nx.buf, n, x, c, len(ids)); err != nil {
			return fail(err)
		}
		if err := copyPart(nx.ibuf, n, dids, c, len(ids)); err != nil {
			return fail(err)
		}
		if sc != nil {
			if err := copyPart(nx.sbuf, n, sc, c, len(ids)); err != nil {
				return fail(err)
			}
		}
		if nx.x, err = nx.buf.Head(need); err != nil {
			return fail(err)
		}
		made = append(made, nx.x)
		if nx.xids, err = nx.ibuf.Head(need); err != nil {
			return fail(err)
		}
		made = append(made, nx.xids)
		if sc != nil {
			if nx.scales, err = nx.sbuf.Head(need); err != nil {
				return fail(err)
			}
			made = append(made, nx.scales)
		}
		next[i] = nx
	}
	return next, nil
}

// grow returns a new array of capacity rows holding the rows of x (nil:
// none) at its start, copied on the device.
func (s *Store) grow(x *engine.Array, dt engine.DType, capacity int, rest ...int) (*engine.Array, error) {
	buf, err := s.e.Empty(dt, append([]int{capacity}, rest...)...)
	if err != nil {
		return nil, err
	}
	if x != nil {
		if err := engine.CopyRows(buf, 0, x); err != nil {
			buf.Free()
			return nil, err
		}
	}
	return buf, nil
}

// copyPart copies the chunk's rows of the batch x (of n rows) into dst at
// row at.
func copyPart(dst *engine.Array, at int, x *engine.Array, c chunk, n int) error {
	if c.lo == 0 && c.hi == n {
		return engine.CopyRows(dst, at, x)
	}
	part, err := engine.SliceRows(x, c.lo, c.hi)
	if err != nil {
		return err
	}
	defer part.Free()
	return engine.CopyRows(dst, at, part)
}

// convertDevice turns the batch into evaluated rows of the storage dtype
// (and int8 scales) on the device: one copy of the float32 rows (from
// the caller's slices, engine.FromFloat32Rows), then
// Normalize (Cosine), Cast (float16) or Quantize (int8), with each row's
// norm (and, for float16 without Cosine, its largest magnitude) computed
// in the same submission and checked on the host. A row that is not
// finite, is zero or badly scaled under Cosine, or is beyond float16's
// range sends the batch to convertChecked, which checks it on the host
// (the error names the row) and converts it as before.
func (s *Store) convertDevice(op string, ids []int64, vectors [][]float32, flat []float32) (x, sc *engine.Array, err error) {
	n, d := len(ids), s.cfg.dim
	var x32 *engine.Array
	if flat != nil {
		x32, err = s.e.FromFloat32(flat, n, d)
	} else {
		x32, err = s.e.FromFloat32Rows(vectors, d) // no joined copy on cuda
	}
	if err != nil {
		return nil, nil, opErr(err, "%s: upload %d rows", op, n)
	}
	temps := []*engine.Array{x32}
	free := func() {
		for _, a := range temps {
			a.Free()
		}
	}
	ok, err := func() (bool, error) {
		norms, err := engine.Norm(x32, 1)
		if err != nil {
			return false, err
		}
		temps = append(temps, norms)
		outs := []*engine.Array{norms}
		var peak *engine.Array
		f16 := s.cfg.dtype == engine.Float16 && s.cfg.metric != Cosine
		if f16 {
			a, err := engine.Abs(x32)
			if err != nil {
				return false, err
			}
			if peak, err = engine.ReduceMax(a, 1); err != nil {
				return false, err
			}
			temps = append(temps, peak)
			outs = append(outs, peak)
		}
		if x, sc, err = s.convert(x32); err != nil {
			return false, err
		}
		if x != x32 {
			temps = append(temps, x)
		}
		outs = append(outs, x)
		if sc != nil {
			temps = append(temps, sc)
			outs = append(outs, sc)
		}
		read := []*engine.Array{norms} // read in the same submission
		if f16 {
			read = append(read, peak)
		}
		if err := s.e.EvalRead(read, outs...); err != nil {
			return false, err
		}
		nv, err := norms.Float32()
		if err != nil {
			return false, err
		}
		for _, v := range nv {
			f := float64(v)
			if math.IsNaN(f) || math.IsInf(f, 0) || (s.cfg.metric == Cosine && (f < 1e-6 || f > 1e18)) {
				return false, nil
			}
		}
		if f16 {
			pv, err := peak.Float32()
			if err != nil {
				return false, err
			}
			for _, v := range pv {
				if math.IsInf(float64(half.Round16(v)), 0) {
					return false, nil
				}
			}
		}
		return true, nil
	}()
	if err != nil || !ok {
		free()
		if err != nil {
			return nil, nil, opErr(err, "%s: convert %d rows to %s", op, n, s.cfg.dtype)
		}
		return s.convertChecked(op, ids, vectors, flat)
	}
	for _, a := range temps {
		if a != x && a != sc {
			a.Free()
		}
	}
	return x, sc, nil
}

// convert builds the rows of the storage dtype from float32 rows x32:
// normalized under Cosine, then cast or quantized; x32 itself for float32
// rows under Dot and L2.
func (s *Store) convert(x32 *engine.Array) (x, sc *engine.Array, err error) {
	x = x32
	if s.cfg.metric == Cosine {
		if x, err = engine.Normalize(x); err != nil {
			return nil, nil, err
		}
	}
	switch s.cfg.dtype {
	case engine.Float16:
		x, err = engine.Cast(x, engine.Float16)
	case engine.Int8:
		x, sc, err = engine.Quantize(x)
	}
	return x, sc, err
}

// convertChecked is convertDevice for a batch a row of which failed the
// device's checks: the host checks every row (the error names the first
// bad one), scales rows under Cosine as flatten does, and the device
// converts them.
func (s *Store) convertChecked(op string, ids []int64, vectors [][]float32, flat []float32) (x, sc *engine.Array, err error) {
	d := s.cfg.dim
	if vectors == nil {
		for i := 0; i < len(flat); i += d {
			vectors = append(vectors, flat[i:i+d])
		}
	}
	if err := s.checkVectors(op, "vector", vectors, ids); err != nil {
		return nil, nil, err
	}
	rows := s.flatten(vectors, identity(len(vectors)), false)
	x32, err := s.e.FromFloat32(rows, len(vectors), d)
	if err != nil {
		return nil, nil, opErr(err, "%s: upload %d rows", op, len(vectors))
	}
	if x, sc, err = s.convert(x32); err != nil {
		x32.Free()
		return nil, nil, opErr(err, "%s", op)
	}
	if x != x32 {
		defer x32.Free()
	}
	outs := []*engine.Array{x}
	if sc != nil {
		outs = append(outs, sc)
	}
	if err := s.e.Eval(outs...); err != nil {
		x.Free()
		if sc != nil {
			sc.Free()
		}
		return nil, nil, opErr(fmt.Errorf("convert %d rows to %s: %w", len(vectors), s.cfg.dtype, err), "%s", op)
	}
	return x, sc, nil
}
