package store

import (
	"fmt"
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
		// log2(SegmentRows) times however small the adds. Compact packs
		// every pair that fits.
		if la+lb > s.cfg.segRows || (lb < la && !all) {
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

// compact returns g without its dead rows, gathered on the device.
func (s *Store) compact(g *segment) (*segment, error) {
	rows := g.liveRows()
	idx, err := s.e.FromInt64(rows, len(rows))
	if err != nil {
		return nil, fmt.Errorf("store: compact: %w", err)
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
		return nil, fmt.Errorf("store: compact %d rows: %w", len(rows), err)
	}
	return c, nil
}

// merge returns the live rows of a and b as one segment in id order. The
// engine has no concatenation, so the rows go through the host.
func (s *Store) merge(a, b *segment) (*segment, error) {
	ha, err := hostRows(a)
	if err != nil {
		return nil, err
	}
	hb, err := hostRows(b)
	if err != nil {
		return nil, err
	}
	if ha.ids[len(ha.ids)-1] < hb.ids[0] {
		// b's ids all follow a's (as sequential adds give): concatenate.
		return s.fromHost(hostSegment{
			rowBytes: ha.rowBytes,
			ids:      slices.Concat(ha.ids, hb.ids),
			x:        slices.Concat(ha.x, hb.x),
			scales:   slices.Concat(ha.scales, hb.scales),
		})
	}
	n := len(ha.ids) + len(hb.ids)
	rb := ha.rowBytes
	m := hostSegment{rowBytes: rb, ids: make([]int64, 0, n), x: make([]byte, 0, n*rb)}
	if a.scales != nil {
		m.scales = make([]byte, 0, 4*n)
	}
	i, j := 0, 0
	for i < len(ha.ids) || j < len(hb.ids) {
		src, r := ha, &i
		if i == len(ha.ids) || (j < len(hb.ids) && hb.ids[j] < ha.ids[i]) {
			src, r = hb, &j
		}
		m.appendRow(src, *r)
		*r++
	}
	return s.fromHost(m)
}

// hostSegment is a segment's live rows copied to the host.
type hostSegment struct {
	rowBytes int
	ids      []int64
	x        []byte // rows of rowBytes bytes
	scales   []byte // float32 per row, int8 storage only
}

func (h *hostSegment) appendRow(src hostSegment, r int) {
	h.ids = append(h.ids, src.ids[r])
	h.x = append(h.x, src.x[r*h.rowBytes:(r+1)*h.rowBytes]...)
	if src.scales != nil {
		h.scales = append(h.scales, src.scales[4*r:4*r+4]...)
	}
}

// hostRows copies the live rows of g to the host.
func hostRows(g *segment) (hostSegment, error) {
	x, err := g.x.Bytes()
	if err != nil {
		return hostSegment{}, fmt.Errorf("store: read segment: %w", err)
	}
	rb := len(x) / g.n()
	h := hostSegment{rowBytes: rb, ids: g.ids, x: x}
	if g.scales != nil {
		if h.scales, err = g.scales.Bytes(); err != nil {
			return hostSegment{}, fmt.Errorf("store: read segment scales: %w", err)
		}
	}
	if g.ndead == 0 {
		return h, nil
	}
	out := hostSegment{rowBytes: rb}
	for r := range g.ids {
		if !g.isDead(r) {
			out.appendRow(h, r)
		}
	}
	return out, nil
}

// fromHost makes a segment of rows held on the host, which it keeps: on
// backends that use host memory in place (the CPU) without a copy.
func (s *Store) fromHost(h hostSegment) (*segment, error) {
	n := len(h.ids)
	x, err := s.e.FromBytesNoCopy(h.x, s.cfg.dtype, n, s.cfg.dim)
	if err != nil {
		return nil, fmt.Errorf("store: upload %d rows: %w", n, err)
	}
	g := &segment{x: x, ids: h.ids}
	if h.scales != nil {
		if g.scales, err = s.e.FromBytesNoCopy(h.scales, engine.Float32, n); err != nil {
			x.Free()
			return nil, fmt.Errorf("store: upload %d scales: %w", n, err)
		}
	}
	return g, nil
}
