package store

import (
	"sort"

	"github.com/silica-go/silica/engine"
)

// segment is a run of rows held as engine arrays. Its rows are in
// ascending id order, so that the engine's top-k, which breaks ties by the
// smaller row, breaks them by the smaller id. The arrays and ids never
// change; dead marks deleted or replaced rows until the segment is
// rewritten (compacted or merged).
type segment struct {
	x      *engine.Array // [n, dim] of the storage dtype
	scales *engine.Array // [n] float32, int8 storage only
	ids    []int64       // ascending, unique
	dead   []bool        // nil while no row is dead
	ndead  int
	m      *mapping // the file x and scales read in place, or nil
	// host and hostScales are the bytes x and scales wrap when the store
	// holds them on the host (backends that use host memory in place),
	// else nil. A merge that retires this segment may append to their
	// spare capacity; bytes of a mapped file have none.
	host, hostScales []byte
}

func (g *segment) n() int    { return len(g.ids) }
func (g *segment) live() int { return len(g.ids) - g.ndead }

// find returns the row of id if it is in the segment and live.
func (g *segment) find(id int64) (int, bool) {
	r := sort.Search(len(g.ids), func(i int) bool { return g.ids[i] >= id })
	if r == len(g.ids) || g.ids[r] != id || g.isDead(r) {
		return 0, false
	}
	return r, true
}

func (g *segment) isDead(r int) bool { return g.dead != nil && g.dead[r] }

// kill marks row r dead. Called with the store's write lock held.
func (g *segment) kill(r int) {
	if g.dead == nil {
		g.dead = make([]bool, len(g.ids))
	}
	if !g.dead[r] {
		g.dead[r] = true
		g.ndead++
	}
}

// liveRows returns the rows not dead, ascending.
func (g *segment) liveRows() []int64 {
	rows := make([]int64, 0, g.live())
	for r := range g.ids {
		if !g.isDead(r) {
			rows = append(rows, int64(r))
		}
	}
	return rows
}

// free releases the segment's arrays and its hold on a mapped file.
func (g *segment) free() {
	g.x.Free()
	if g.scales != nil {
		g.scales.Free()
	}
	if g.m != nil {
		g.m.release()
		g.m = nil
	}
}

// deviceBytes is the size of the segment's arrays.
func (g *segment) deviceBytes() int64 {
	b := int64(g.x.Size() * g.x.DType().Size())
	if g.scales != nil {
		b += int64(4 * g.scales.Size())
	}
	return b
}

// hostBytes is the size of the ids and dead flags.
func (g *segment) hostBytes() int64 { return int64(8*len(g.ids) + len(g.dead)) }
