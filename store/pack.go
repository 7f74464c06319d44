package store

import (
	"github.com/silica-go/silica/engine"
)

// packable reports whether Compact should pack the arenas: they are more
// than the live rows need.
func (s *Store) packable() bool {
	need := (s.live + s.cfg.segRows - 1) / s.cfg.segRows
	return len(s.arenas) > need
}

// pack returns the live rows of every arena packed into as few new
// arenas as SegmentRows allows, in row order: on the host by copying,
// elsewhere on the device (each arena's live rows gathered, then copied
// into new arrays). Nothing is published; on an error what was made is
// freed. Called with s.wmu held.
func (s *Store) pack() ([]*arena, error) {
	var out []*arena
	fail := func(err error) ([]*arena, error) {
		for _, a := range out {
			release(&a.rows, nil)
		}
		return nil, opErr(err, "compact")
	}
	d, dt := s.cfg.dim, s.cfg.dtype
	rb := d * dt.Size()
	left := s.live
	// next starts a new arena, sized for the rows left.
	next := func() *arena {
		n := min(left, s.cfg.segRows)
		left -= n
		a := &arena{}
		a.ids = make([]int64, 0, n)
		out = append(out, a)
		return a
	}
	if s.inPlace {
		var cur *arena
		for _, a := range s.arenas {
			h, err := readRows(&a.rows)
			if err != nil {
				return fail(err)
			}
			for r, id := range h.ids {
				if cur == nil || len(cur.ids) == cap(cur.ids) {
					cur = next()
					cur.host = alignedBytes(cap(cur.ids) * rb)[:0]
					if h.scales != nil {
						cur.hostScales = alignedBytes(4 * cap(cur.ids))[:0]
					}
				}
				cur.ids = append(cur.ids, id)
				cur.host = append(cur.host, h.x[r*rb:(r+1)*rb]...)
				if h.scales != nil {
					cur.hostScales = append(cur.hostScales, h.scales[4*r:4*r+4]...)
				}
			}
		}
		for _, a := range out {
			var err error
			if a.x, _, err = wrap(s.e, true, a.host, dt, a.n(), d); err != nil {
				return fail(err)
			}
			if a.hostScales != nil {
				if a.scales, _, err = wrap(s.e, true, a.hostScales, engine.Float32, a.n()); err != nil {
					return fail(err)
				}
			}
		}
		return out, nil
	}
	var cur *arena
	for _, a := range s.arenas {
		if a.live() == 0 {
			continue
		}
		c, err := s.compact(&a.rows)
		if err != nil {
			return fail(err)
		}
		for lo := 0; lo < c.n(); {
			if cur == nil || len(cur.ids) == cap(cur.ids) {
				cur = next()
				if cur.buf, err = s.e.Empty(dt, cap(cur.ids), d); err == nil {
					cur.ibuf, err = s.e.Empty(engine.Int64, cap(cur.ids))
				}
				if err == nil && c.scales != nil {
					cur.sbuf, err = s.e.Empty(engine.Float32, cap(cur.ids))
				}
				if err != nil {
					release(&c, nil)
					return fail(err)
				}
			}
			hi := min(c.n(), lo+cap(cur.ids)-len(cur.ids))
			err := copyPart(cur.buf, len(cur.ids), c.x, chunk{nil, lo, hi}, c.n())
			if err == nil {
				err = copyPart(cur.ibuf, len(cur.ids), c.xids, chunk{nil, lo, hi}, c.n())
			}
			if err == nil && c.scales != nil {
				err = copyPart(cur.sbuf, len(cur.ids), c.scales, chunk{nil, lo, hi}, c.n())
			}
			if err != nil {
				release(&c, nil)
				return fail(err)
			}
			cur.ids = append(cur.ids, c.ids[lo:hi]...)
			lo = hi
		}
		release(&c, nil)
	}
	for _, a := range out {
		var err error
		if a.x, err = a.buf.Head(a.n()); err != nil {
			return fail(err)
		}
		if a.xids, err = a.ibuf.Head(a.n()); err != nil {
			return fail(err)
		}
		if a.sbuf != nil {
			if a.scales, err = a.sbuf.Head(a.n()); err != nil {
				return fail(err)
			}
		}
	}
	return out, nil
}
