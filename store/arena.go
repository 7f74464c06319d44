package store

import (
	"github.com/silica-go/silica/engine"
)

// arena is a run of rows in one engine array, in insertion order (an
// upsert kills the old row and appends the new one). Its rows are one of:
//
//   - on the device: buf (and sbuf, the scales of int8 rows, and ibuf,
//     the ids) is an evaluated array of capacity rows, grown by copying
//     on the device (engine.Empty, engine.CopyRows); x, scales and xids
//     are Head views of its first n rows. The ids on the device let a
//     search map its top-k rows to ids there (engine.Gather) and read
//     back ids, sparing the host a random read of ids per hit;
//   - on the host (backends that use host memory in place): host and
//     hostScales are the rows' bytes, grown as a Go slice grows (their
//     capacity is the arena's), and x and scales wrap them; m is the
//     mapped file they are while the store has written nothing to them.
//
// An arena changes only under the store's write lock (Store.mu): writers
// build the next rows aside (writing past the n rows readers see) and
// swap them in.
type arena struct{ rows }

// rows is what an arena holds at one time.
type rows struct {
	buf, sbuf, ibuf  *engine.Array // device arenas only
	x, scales        *engine.Array // [n, dim], [n] (int8); nil while n == 0
	xids             *engine.Array // [n] Int64, the ids: device arenas only
	host, hostScales []byte        // host arenas only
	m                *mapping
	ids              []int64 // by row
	dead             []bool  // nil while no row is dead
	ndead            int
}

func (a *rows) n() int    { return len(a.ids) }
func (a *rows) live() int { return len(a.ids) - a.ndead }

func (a *rows) isDead(r int) bool { return a.dead != nil && a.dead[r] }

// kill marks row r dead. Called with the store's write lock held.
func (a *rows) kill(r int) {
	if a.dead == nil {
		a.dead = make([]bool, len(a.ids), cap(a.ids))
	}
	if !a.dead[r] {
		a.dead[r] = true
		a.ndead++
	}
}

// liveRows returns the rows not dead, ascending.
func (a *rows) liveRows() []int64 {
	out := make([]int64, 0, a.live())
	for r := range a.ids {
		if !a.isDead(r) {
			out = append(out, int64(r))
		}
	}
	return out
}

// capacity is the rows the arena holds without growing, for rows of rb
// bytes.
func (a *rows) capacity(rb int) int {
	if a.buf != nil {
		return a.buf.Shape()[0]
	}
	if a.m != nil {
		return a.n() // a mapped file is never written
	}
	return cap(a.host) / rb
}

// arrays returns the engine arrays a holds.
func (a *rows) arrays() []*engine.Array {
	var out []*engine.Array
	for _, x := range []*engine.Array{a.buf, a.sbuf, a.ibuf, a.x, a.scales, a.xids} {
		if x != nil {
			out = append(out, x)
		}
	}
	return out
}

// release frees what old holds and next does not: arrays, and the hold
// on a mapped file.
func release(old, next *rows) {
	keep := map[*engine.Array]bool{}
	if next != nil {
		for _, x := range next.arrays() {
			keep[x] = true
		}
	}
	for _, x := range old.arrays() {
		if !keep[x] {
			x.Free()
		}
	}
	if old.m != nil && (next == nil || next.m != old.m) {
		old.m.release()
	}
}

// deviceBytes is the memory of the arena's rows, scales and ids on the
// device, spare capacity included.
func (a *rows) deviceBytes(rowBytes int) int64 {
	if a.buf != nil {
		b := int64(a.buf.Size() * a.buf.DType().Size())
		if a.sbuf != nil {
			b += int64(4 * a.sbuf.Size())
		}
		if a.ibuf != nil {
			b += int64(8 * a.ibuf.Size())
		}
		return b
	}
	if a.host != nil {
		return int64(cap(a.host) + cap(a.hostScales))
	}
	if a.x != nil {
		b := int64(a.x.Size() * a.x.DType().Size())
		if a.scales != nil {
			b += int64(4 * a.scales.Size())
		}
		return b
	}
	return 0
}

// hostBytes is the size of the ids and dead flags.
func (a *rows) hostBytes() int64 { return int64(8*cap(a.ids) + cap(a.dead)) }

// growRows is the capacity an arena of need rows of rb bytes grows to:
// at most need + max(need/slack, 64 MiB) (doubling while small), and no
// more than limit rows. On the device slack is 20, so the rows take at
// most 1.05 x their size plus 64 MiB; each growth copies the rows once,
// so a row is copied about slack times at most however small the adds.
func growRows(need, rb, slack, limit int) int {
	room := max(need/slack, min(need, (64<<20)/rb))
	return max(need, min(limit, need+room))
}
