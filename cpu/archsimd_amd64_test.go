//go:build goexperiment.simd

package cpu

import (
	"math"
	"math/rand/v2"
	"testing"
)

func TestArchSIMD(t *testing.T) {
	r := rand.New(rand.NewPCG(12, 12))
	for _, n := range testLengths() {
		q, x := vectorPair(r, n, 1, 2, smallInts)
		d, _, _ := dotRef(q, x)
		ss, _, _ := dotRef(x, x)
		if gd, gss := dotArchSIMD(q, x); float64(gd) != d || float64(gss) != ss {
			t.Fatalf("n=%d: got %v %v, want %v %v", n, gd, gss, d, ss)
		}
		q, x = vectorPair(r, n, 0, 3, normals)
		d, _, mag := dotRef(q, x)
		if gd, _ := dotArchSIMD(q, x); math.Abs(float64(gd)-d) > sumBound(n, mag) {
			t.Fatalf("n=%d: dot %v, want %v", n, gd, d)
		}
	}
}

// BenchmarkArchSIMD compares the archsimd row kernel with the assembly
// one and the portable Go on one goroutine, over a 768-wide row in the L1
// cache, so that compute, not memory, is measured. Run it with
//
//	GOEXPERIMENT=simd go test -run '^$' -bench ArchSIMD ./cpu
func BenchmarkArchSIMD(b *testing.B) {
	q, x := scanData()
	row := x[:scanD]
	var sink float32
	b.Run("l1/archsimd", func(b *testing.B) {
		for range b.N {
			d, s := dotArchSIMD(q, row)
			sink += d + s
		}
	})
	b.Run("l1/asm", func(b *testing.B) {
		for range b.N {
			d, s := dotRowF32(q, f32Bytes(row), 1)
			sink += d + s
		}
	})
	b.Run("l1/go", func(b *testing.B) {
		for range b.N {
			sink += dotGo(q, row) + sumSquares32Go(row)
		}
	})
	_ = sink
}
