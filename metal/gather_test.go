package metal

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/silica-go/silica/engine"
	"github.com/silica-go/silica/engine/backendtest"
)

// randomBytes returns n elements of dt with random bits that are never
// the 0xff poison pattern.
func randomBytes(r *rand.Rand, dt engine.DType, n int) []byte {
	b := make([]byte, n*dt.Size())
	for i := range b {
		b[i] = byte(r.IntN(255))
	}
	return b
}

func indexBytes(dt engine.DType, idx []int64) []byte {
	b := make([]byte, len(idx)*dt.Size())
	for i, v := range idx {
		if dt == engine.Int64 {
			binary.LittleEndian.PutUint64(b[8*i:], uint64(v))
		} else {
			binary.LittleEndian.PutUint32(b[4*i:], uint32(int32(v)))
		}
	}
	return b
}

func TestGather(t *testing.T) {
	// integer outputs: a second poison shows an element left unwritten
	// where 0xFF (-1) is the right answer
	for _, poison := range []byte{backendtest.PoisonByte, 0x5a} {
		p := enginesPoisoned(t, poison)
		s := seed(t)
		r := rand.New(rand.NewPCG(s, 1))
		for _, dt := range allTypes {
			for _, shape := range [][]int{{1}, {17}, {9, 5}, {40, 3, 7}} {
				for _, it := range []engine.DType{engine.Int32, engine.Int64} {
					n := shape[0]
					for _, rows := range []int{1, 3, 2*n + 5} {
						idx := make([]int64, rows)
						for i := range idx {
							idx[i] = int64(r.IntN(n))
						}
						cx, mx := p.from(randomBytes(r, dt, engine.Shape(shape).Size()), dt, shape...)
						ci, mi := p.from(indexBytes(it, idx), it, rows)
						ok := must[*engine.Array](t)
						p.same(fmt.Sprintf("gather %s %v by %d %s", dt, shape, rows, it), ok(engine.Gather(cx, ci)), ok(engine.Gather(mx, mi)))
					}
				}
			}
		}
	}
}

// TestGatherIndexRange: indices below, at and far above the row count
// fail with ErrIndexOutOfRange.
func TestGatherIndexRange(t *testing.T) {
	p := engines(t)
	for _, bad := range []int64{-1, 10, 1 << 40} {
		it := engine.Int64
		_, mx := p.normal(1, engine.Float32, 10, 3)
		_, mi := p.from(indexBytes(it, []int64{0, 9, bad, 2}), it, 4)
		g, err := engine.Gather(mx, mi)
		if err != nil {
			t.Fatal(err)
		}
		_, err = g.Float32()
		if !errors.Is(err, engine.ErrIndexOutOfRange) {
			t.Errorf("index %d: got %v, want ErrIndexOutOfRange", bad, err)
		} else {
			t.Logf("index %d: %v", bad, err)
		}
	}
}

func TestSlice(t *testing.T) {
	// integer outputs: a second poison shows an element left unwritten
	// where 0xFF (-1) is the right answer
	for _, poison := range []byte{backendtest.PoisonByte, 0x5a} {
		p := enginesPoisoned(t, poison)
		s := seed(t)
		r := rand.New(rand.NewPCG(s, 2))
		for _, dt := range allTypes {
			cx, mx := p.from(randomBytes(r, dt, 37*29), dt, 37, 29)
			ok := must[*engine.Array](t)
			for _, rc := range [][4]int{{0, 37, 0, 29}, {5, 6, 28, 29}, {3, 30, 7, 20}, {36, 37, 0, 1}} {
				p.same(fmt.Sprintf("slice %s %v", dt, rc), ok(engine.Slice(cx, rc[0], rc[1], rc[2], rc[3])), ok(engine.Slice(mx, rc[0], rc[1], rc[2], rc[3])))
			}
			cv, mv := p.from(randomBytes(r, dt, 100), dt, 100)
			p.same("slice vector "+dt.String(), ok(engine.SliceRows(cv, 13, 71)), ok(engine.SliceRows(mv, 13, 71)))
		}
	}
}
