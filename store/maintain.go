package store

import (
	"slices"

	"github.com/silica-go/silica/engine"
)

// deadShare is the share of deleted rows past which a segment is
// compacted: it is rewritten when more than 1/deadShare of its rows are
// dead. Searches ask each segment for k plus its dead rows and drop the
// dead ones, so this also bounds that extra work.
const deadShare = 8

// maintain tidies the segments after a successful add or delete; a
// failure (the device out of memory) is kept for Stats and otherwise
// ignored, as the store is correct without it. Called with s.wmu held.
func (s *Store) maintain() {
	err := s.tidy(false)
	s.mu.Lock()
	s.lastErr = err
	s.mu.Unlock()
}

// tidy compacts segments with too many dead rows (with all: any dead row)
// and merges neighbours (with all: any two that fit in one segment), then
// publishes the new list. Until it publishes,
// nothing is changed; on an error it frees what it made. Called with
// s.wmu held.
func (s *Store) tidy(all bool) error {
	next := slices.Clone(s.segs)
	published := map[*segment]bool{}
	for _, g := range s.segs {
		published[g] = true
	}
	var made []*segment // new segments, until published
	fail := func(err error) error {
		for _, g := range made {
			g.free()
		}
		return err
	}
	// Drop an unpublished segment that a later step replaced.
	retire := func(gs ...*segment) {
		for _, g := range gs {
			if !published[g] {
				g.free()
				made = slices.DeleteFunc(made, func(x *segment) bool { return x == g })
			}
		}
	}
	for i := 0; i < len(next); i++ {
		g := next[i]
		switch {
		case g.live() == 0:
			next = slices.Delete(next, i, i+1)
			i--
		case g.ndead > 0 && (all || g.ndead*deadShare > g.n()):
			c, err := s.compact(g)
			if err != nil {
				return fail(err)
			}
			made = append(made, c)
			next[i] = c
		}
	}
	for i := len(next) - 1; i >= 1; {
		a, b := next[i-1], next[i]
		la, lb := a.live(), b.live()
		// Merging only into a segment no larger than the new one keeps the
		// segments a binary counter: a row is copied at most
		// log2(SegmentRows) times however small the adds. Rows the store
		// holds on the host, with b's ids after a's, are appended instead,
		// at the cost of copying b alone. Compact packs every pair that fits.
		if la+lb > s.cfg.segRows || (lb < la && !all && !appendable(a, b)) {
			i--
			continue
		}
		m, err := s.merge(a, b)
		if err != nil {
			return fail(err)
		}
		made = append(made, m)
		retire(a, b)
		next = slices.Replace(next, i-1, i+1, m)
		i--
	}
	if len(made) == 0 && len(next) == len(s.segs) {
		return nil
	}
	s.mu.Lock()
	old := s.segs
	s.segs = next
	s.mu.Unlock()
	// No reader holds the old list now: each holds s.mu while it uses one.
	for _, g := range old {
		if !slices.Contains(next, g) {
			g.free()
		}
	}
	return nil
}

// compact returns g without its dead rows: copied on the host when the
// store holds g's rows there, else gathered on the device.
func (s *Store) compact(g *segment) (*segment, error) {
	if g.host != nil {
		h, err := hostRows(g)
		if err != nil {
			return nil, err
		}
		return s.fromHost(h)
	}
	rows := g.liveRows()
	idx, err := s.e.FromInt64(rows, len(rows))
	if err != nil {
		return nil, opErr(err, "compact")
	}
	defer idx.Free()
	c := &segment{ids: make([]int64, len(rows))}
	for j, r := range rows {
		c.ids[j] = g.ids[r]
	}
	outs := []*engine.Array{}
	if c.x, err = engine.Gather(g.x, idx); err != nil {
		return nil, err
	}
	outs = append(outs, c.x)
	if g.scales != nil {
		if c.scales, err = engine.Gather(g.scales, idx); err != nil {
			return nil, err
		}
		outs = append(outs, c.scales)
	}
	if err := s.e.Eval(outs...); err != nil {
		return nil, opErr(err, "compact %d rows", len(rows))
	}
	return c, nil
}
