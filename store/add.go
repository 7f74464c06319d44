package store

import (
	"fmt"
	"math"
	"slices"

	"github.com/silica-go/silica/engine"
)

// Add inserts vectors under the given ids: len(ids) == len(vectors), each
// vector of length Dim. An id already in the store is replaced (upsert).
// Under Cosine the rows are stored normalized; with float16 storage they
// are rounded to float16, with int8 quantized per row.
//
// The batch is checked whole before anything changes: a vector of the
// wrong length, a NaN or Inf, an all-zero vector under Cosine, a value
// beyond float16's range with float16 storage, an id twice in the batch,
// or a batch that would pass the memory budget is an error naming it, and
// the store is left exactly as it was.
func (s *Store) Add(ids []int64, vectors [][]float32) error {
	if len(ids) != len(vectors) {
		return fmt.Errorf("store: add: %d ids for %d vectors", len(ids), len(vectors))
	}
	s.wmu.Lock()
	defer s.wmu.Unlock()
	return s.add("add", ids, vectors)
}

// AddFlat is Add with the vectors in one flat, row-major slice, as
// engine.FromFloat32 takes them: row i is flat[i*Dim : (i+1)*Dim], and
// len(flat) must be len(ids)*Dim. The rows are not copied to make the
// call; errors as for Add, naming the row.
func (s *Store) AddFlat(ids []int64, flat []float32) error {
	d := s.cfg.dim
	if len(flat) != len(ids)*d {
		return fmt.Errorf("store: add: %d values for %d ids of dimension %d; want %d", len(flat), len(ids), d, len(ids)*d)
	}
	rows := make([][]float32, len(ids))
	for i := range rows {
		rows[i] = flat[i*d : (i+1)*d : (i+1)*d]
	}
	return s.Add(ids, rows)
}

// Append adds vectors under new sequential ids (one more than the largest
// id the store has held) and returns them. Errors as for Add.
func (s *Store) Append(vectors [][]float32) ([]int64, error) {
	s.wmu.Lock()
	defer s.wmu.Unlock()
	if s.nextID > math.MaxInt64-int64(len(vectors)) {
		return nil, fmt.Errorf("store: append: no %d sequential ids left after %d", len(vectors), s.nextID)
	}
	ids := make([]int64, len(vectors))
	for i := range ids {
		ids[i] = s.nextID + int64(i)
	}
	if err := s.add("append", ids, vectors); err != nil {
		return nil, err
	}
	return ids, nil
}

// add does Add with s.wmu held.
func (s *Store) add(op string, ids []int64, vectors [][]float32) error {
	if s.closed {
		return ErrClosed
	}
	if len(ids) == 0 {
		return nil
	}
	if err := s.checkVectors(op, "vector", vectors, ids); err != nil {
		return err
	}
	order := identity(len(ids))
	slices.SortFunc(order, func(a, b int) int { return cmpID(ids[a], ids[b]) })
	for j := 1; j < len(order); j++ {
		if ids[order[j]] == ids[order[j-1]] {
			return fmt.Errorf("store: %s: id %d appears twice in the batch (vectors %d and %d)",
				op, ids[order[j]], min(order[j-1], order[j]), max(order[j-1], order[j]))
		}
	}
	if err := s.checkBudget(op, len(ids)); err != nil {
		return err
	}
	type loc struct {
		g *segment
		r int
	}
	var replaced []loc
	for _, id := range ids {
		if g, r, ok := s.locate(id); ok {
			replaced = append(replaced, loc{g, r})
		}
	}
	var made []*segment
	for lo := 0; lo < len(order); lo += s.cfg.segRows {
		hi := min(lo+s.cfg.segRows, len(order))
		g, err := s.upload(s.flatten(vectors, order[lo:hi], false), sortedIDs(ids, order[lo:hi]))
		if err != nil {
			for _, g := range made {
				g.free()
			}
			return opErr(err, "%s", op)
		}
		made = append(made, g)
	}
	s.mu.Lock()
	for _, l := range replaced {
		l.g.kill(l.r)
	}
	s.segs = append(s.segs, made...)
	s.live += len(ids) - len(replaced)
	if top := ids[order[len(order)-1]]; top >= s.nextID {
		s.nextID = top + 1
		if top == math.MaxInt64 {
			s.nextID = top // Append then reports that no ids are left
		}
	}
	s.mu.Unlock()
	s.maintain()
	return nil
}

func cmpID(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func sortedIDs(ids []int64, order []int) []int64 {
	out := make([]int64, len(order))
	for j, p := range order {
		out[j] = ids[p]
	}
	return out
}

// upload makes a segment of rows (flat, row-major, already in ascending id
// order): normalized under Cosine, converted to the storage dtype. Where
// the store holds rows on the host, the converted rows are read back into
// host memory it owns, so that later merges append to them.
func (s *Store) upload(flat []float32, ids []int64) (*segment, error) {
	n, d := len(ids), s.cfg.dim
	if s.cfg.metric != Cosine && s.cfg.dtype != engine.Int8 {
		// Float32 or float16 rows as given: converted on the host.
		raw := float32Bytes(flat)
		if s.cfg.dtype == engine.Float16 {
			var err error
			if raw, err = engine.EncodeFloat32(engine.Float16, flat); err != nil {
				return nil, err
			}
		}
		return s.fromHost(hostSegment{rowBytes: d * s.cfg.dtype.Size(), ids: ids, x: raw})
	}
	x32, _, err := wrap(s.e, s.inPlace, float32Bytes(flat), engine.Float32, n, d)
	if err != nil {
		return nil, err
	}
	defer x32.Free()
	x := x32
	if s.cfg.metric == Cosine {
		if x, err = engine.Normalize(x); err != nil {
			return nil, err
		}
	}
	g := &segment{ids: ids}
	switch s.cfg.dtype {
	case engine.Float32:
		g.x = x
	case engine.Float16:
		g.x, err = engine.Cast(x, engine.Float16)
	case engine.Int8:
		g.x, g.scales, err = engine.Quantize(x)
	}
	if err != nil {
		return nil, err
	}
	outs := []*engine.Array{g.x}
	if g.scales != nil {
		outs = append(outs, g.scales)
	}
	if err := s.e.Eval(outs...); err != nil {
		return nil, fmt.Errorf("convert %d rows to %s: %w", n, s.cfg.dtype, err)
	}
	if !s.inPlace {
		return g, nil
	}
	defer g.free()
	h, err := hostRows(g)
	if err != nil {
		return nil, err
	}
	return s.fromHost(h)
}
