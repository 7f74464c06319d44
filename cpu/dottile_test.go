package cpu

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// TestDotTile checks the batch scan's tile kernel: every score equal bit
// for bit to dot of its pair (what a single-query scan computes), and
// within the float32 bound of a float64 reference, at widths around the
// kernel's chunk (8) and pass (32) sizes and block shapes around 4 x 3,
// with operands at odd offsets and the output poisoned first.
func TestDotTile(t *testing.T) {
	bothKernelSets(t, func(t *testing.T) {
		r := rand.New(rand.NewPCG(21, 21))
		for _, d := range []int{1, 7, 8, 9, 24, 31, 32, 33, 40, 63, 77, 96, 131, 768, 771} {
			for _, sh := range [][2]int{{1, 1}, {4, 3}, {3, 4}, {5, 7}, {8, 6}, {9, 10}, {13, 2}, {16, 9}, {17, 11}} {
				mq, nr := sh[0], sh[1]
				qb, xb := make([]float32, mq*d+3), make([]float32, nr*d+5)
				normals(r, qb)
				normals(r, xb)
				q, x := qb[3:], xb[5:]
				out := make([]float32, mq*nr)
				for i := range out {
					out[i] = float32(math.NaN())
				}
				dotTile(q, mq, x, nr, d, out)
				for i := range mq {
					for j := range nr {
						qi, xj := q[i*d:(i+1)*d], x[j*d:(j+1)*d]
						name := fmt.Sprintf("d=%d %dx%d pair (%d, %d)", d, mq, nr, i, j)
						got, want := out[i*nr+j], dot(qi, xj)
						if math.Float32bits(got) != math.Float32bits(want) {
							t.Fatalf("%s: tile %v, dot %v", name, got, want)
						}
						var ref, mag float64
						for p := range d {
							ref += float64(qi[p]) * float64(xj[p])
							mag += math.Abs(float64(qi[p]) * float64(xj[p]))
						}
						if e := math.Abs(float64(got) - ref); !(e <= sumBound(d, mag)) {
							t.Fatalf("%s: %v, reference %v", name, got, ref)
						}
					}
				}
			}
		}
	})
}

// TestL2Tile checks the L2 scan's tile kernel where the kernel set has
// one (else l2TileGo, its edges): every distance equal bit for bit to sqDist of its pair with the
// row's scale, and within the float32 bound of a float64 reference, at
// the widths and block shapes of TestDotTile.
func TestL2Tile(t *testing.T) {
	bothKernelSets(t, func(t *testing.T) {
		tile := l2Tile
		if tile == nil {
			tile = l2TileGo
		}
		r := rand.New(rand.NewPCG(22, 22))
		for _, d := range []int{1, 7, 8, 9, 24, 31, 32, 33, 40, 63, 77, 96, 131, 768, 771} {
			for _, sh := range [][2]int{{1, 1}, {4, 3}, {3, 4}, {5, 7}, {8, 6}, {9, 10}, {13, 2}, {16, 9}, {17, 11}} {
				mq, nr := sh[0], sh[1]
				qb, xb := make([]float32, mq*d+3), make([]float32, nr*d+5)
				normals(r, qb)
				normals(r, xb)
				q, x := qb[3:], xb[5:]
				scales := make([]float32, nr)
				for j := range scales {
					scales[j] = float32(0.5 + r.Float64())
				}
				out := make([]float32, mq*nr)
				for i := range out {
					out[i] = float32(math.NaN())
				}
				tile(q, mq, x, nr, d, scales, out)
				for i := range mq {
					for j := range nr {
						qi, xj := q[i*d:(i+1)*d], x[j*d:(j+1)*d]
						name := fmt.Sprintf("d=%d %dx%d pair (%d, %d)", d, mq, nr, i, j)
						got, want := out[i*nr+j], sqDist(qi, xj, scales[j])
						if math.Float32bits(got) != math.Float32bits(want) {
							t.Fatalf("%s: tile %v, sqDist %v", name, got, want)
						}
						var ref, mag float64
						for p := range d {
							e := float64(qi[p]) - float64(scales[j])*float64(xj[p])
							ref += e * e
							sx := float64(scales[j]) * float64(xj[p])
							mag += e*e + 2*math.Abs(e)*(math.Abs(float64(qi[p]))+math.Abs(sx))
						}
						// The portable kernel rounds scale*x before the
						// difference: an error of |scale*x| ulps, doubled
						// by the square.
						if e := math.Abs(float64(got) - ref); !(e <= sumBound(d+2, mag)) {
							t.Fatalf("%s: %v, reference %v", name, got, ref)
						}
					}
				}
			}
		}
	})
}

// TestDotQueries checks the re-scoring's kernel, one row against queries
// picked anywhere among many (repeats included): every score equal bit
// for bit to dot of its pair, at widths around the kernel's chunk (8) and
// group (32) sizes and at every count of queries around its block of 4,
// with the row at an odd offset and the output poisoned first.
func TestDotQueries(t *testing.T) {
	bothKernelSets(t, func(t *testing.T) {
		r := rand.New(rand.NewPCG(23, 23))
		for _, d := range []int{1, 7, 8, 9, 24, 31, 32, 33, 40, 63, 77, 96, 131, 768, 771} {
			const m = 37
			qb, xb := make([]float32, m*d+1), make([]float32, d+3)
			normals(r, qb)
			normals(r, xb)
			q, x := qb[1:], xb[3:]
			for n := range 14 {
				qs := make([]int32, n)
				for k := range qs {
					qs[k] = int32(r.IntN(m))
				}
				out := make([]float32, n+1)
				for k := range out {
					out[k] = float32(math.NaN())
				}
				dotQueries(x, q, d, qs, out[:n])
				for k, i := range qs {
					if got, want := out[k], dot(q[int(i)*d:(int(i)+1)*d], x); math.Float32bits(got) != math.Float32bits(want) {
						t.Fatalf("d=%d, %d queries: score %d (query %d) %v, dot %v", d, n, k, i, got, want)
					}
				}
				if !math.IsNaN(float64(out[n])) {
					t.Fatalf("d=%d, %d queries: wrote past the scores", d, n)
				}
			}
		}
	})
}
