package store

import (
	"slices"

	"github.com/silica-go/silica/engine"
)

// deadShare is the share of deleted rows past which an arena is
// compacted: it is rewritten when more than 1/deadShare of its rows are
// dead. Searches ask each arena for k plus its dead rows and drop the
// dead ones, so this also bounds that extra work.
const deadShare = 8

// maintain tidies the arenas after a successful add or delete; a failure
// (the device out of memory) is kept for Stats and otherwise ignored, as
// the store is correct without it. Called with s.wmu held.
func (s *Store) maintain() {
	err := s.tidy(false)
	s.lock()
	s.lastErr = err
	s.mu.Unlock()
}

// tidy compacts the arenas with too many dead rows (with all: any dead
// row) and drops those with no live row, then publishes them. Until it
// publishes nothing is changed; on an error it frees what it made.
// Called with s.wmu held.
func (s *Store) tidy(all bool) error {
	type job struct {
		a    *arena
		next rows
	}
	var jobs []job
	drop := false
	for _, a := range s.arenas {
		switch {
		case a.live() == 0:
			drop = true
		case a.ndead > 0 && (all || a.ndead*deadShare > a.n()):
			next, err := s.compact(&a.rows)
			if err != nil {
				for _, j := range jobs {
					release(&j.next, nil)
				}
				return err
			}
			jobs = append(jobs, job{a, next})
		}
	}
	if len(jobs) == 0 && !drop {
		return nil
	}
	s.lock()
	old := make([]rows, len(jobs))
	for i, j := range jobs {
		old[i] = j.a.rows
		j.a.rows = j.next
		for r, id := range j.a.ids {
			s.where[id] = loc{j.a, r}
		}
	}
	var dropped []*arena
	s.arenas = slices.DeleteFunc(s.arenas, func(a *arena) bool {
		if a.live() == 0 {
			dropped = append(dropped, a)
			return true
		}
		return false
	})
	s.mu.Unlock()
	// No reader holds the old rows now: each holds s.mu while it uses them.
	for i, j := range jobs {
		release(&old[i], &j.a.rows)
	}
	for _, a := range dropped {
		release(&a.rows, nil)
	}
	return nil
}

// compact returns a's live rows as new rows: copied on the host when the
// store holds them there, else gathered on the device.
func (s *Store) compact(a *rows) (rows, error) {
	d := s.cfg.dim
	if a.host != nil {
		h, err := readRows(a)
		if err != nil {
			return rows{}, err
		}
		next := rows{ids: h.ids, host: append(alignedBytes(len(h.x))[:0], h.x...)}
		n := len(h.ids)
		if next.x, _, err = wrap(s.e, true, next.host, s.cfg.dtype, n, d); err != nil {
			return rows{}, opErr(err, "compact")
		}
		if h.scales != nil {
			next.hostScales = append(alignedBytes(len(h.scales))[:0], h.scales...)
			if next.scales, _, err = wrap(s.e, true, next.hostScales, engine.Float32, n); err != nil {
				next.x.Free()
				return rows{}, opErr(err, "compact")
			}
		}
		return next, nil
	}
	live := a.liveRows()
	idx, err := s.e.FromInt64(live, len(live))
	if err != nil {
		return rows{}, opErr(err, "compact")
	}
	defer idx.Free()
	next := rows{ids: make([]int64, len(live))}
	for j, r := range live {
		next.ids[j] = a.ids[r]
	}
	fail := func(err error) (rows, error) {
		release(&next, nil)
		return rows{}, opErr(err, "compact %d rows", len(live))
	}
	if next.buf, err = engine.Gather(a.x, idx); err != nil {
		return fail(err)
	}
	if next.ibuf, err = engine.Gather(a.xids, idx); err != nil {
		return fail(err)
	}
	outs := []*engine.Array{next.buf, next.ibuf}
	if a.scales != nil {
		if next.sbuf, err = engine.Gather(a.scales, idx); err != nil {
			return fail(err)
		}
		outs = append(outs, next.sbuf)
	}
	if err := s.e.Eval(outs...); err != nil {
		return fail(err)
	}
	if next.x, err = next.buf.Head(len(live)); err != nil {
		return fail(err)
	}
	if next.xids, err = next.ibuf.Head(len(live)); err != nil {
		return fail(err)
	}
	if next.sbuf != nil {
		if next.scales, err = next.sbuf.Head(len(live)); err != nil {
			return fail(err)
		}
	}
	return next, nil
}
