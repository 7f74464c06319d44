package cpu

import (
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"testing"

	"github.com/silica-go/silica/engine"
	"github.com/silica-go/silica/half"
	"github.com/silica-go/silica/internal/testenv"
)

// rowDTypes are the stored dtypes the direct row kernels read.
var rowDTypes = []engine.DType{engine.Float32, engine.Float16, engine.BFloat16, engine.Int8}

// encodeRow stores x as dtype dt at byte offset off of a fresh buffer whose
// bytes around the row are 0xff (NaN for the float dtypes), and returns
// the row's bytes and the values as stored (rounded to dt).
func encodeRow(dt engine.DType, x []float32, off int) ([]byte, []float32) {
	es := dt.Size()
	buf := make([]byte, off+len(x)*es+16)
	for i := range buf {
		buf[i] = 0xff
	}
	row := buf[off : off+len(x)*es]
	stored := make([]float32, len(x))
	for i, v := range x {
		switch dt {
		case engine.Float32:
			b := math.Float32bits(v)
			row[4*i], row[4*i+1], row[4*i+2], row[4*i+3] = byte(b), byte(b>>8), byte(b>>16), byte(b>>24)
			stored[i] = v
		case engine.Float16:
			h := half.FromFloat32(v)
			row[2*i], row[2*i+1] = byte(h), byte(h>>8)
			stored[i] = h.Float32()
		case engine.BFloat16:
			h := half.BFromFloat32(v)
			row[2*i], row[2*i+1] = byte(h), byte(h>>8)
			stored[i] = h.Float32()
		case engine.Int8:
			q := int8(max(-127, min(127, math.Round(float64(v)))))
			row[i] = byte(q)
			stored[i] = float32(q)
		}
	}
	return row, stored
}

// rowRef is what a row kernel computes, in float64: dot(q, x), sum(x²),
// sum((q - scale·x)²), and the magnitudes that bound float32 rounding.
func rowRef(q, x []float32, scale float32) (dot, ss, l2, magDot float64) {
	for i := range q {
		a, b := float64(q[i]), float64(x[i])
		dot += a * b
		ss += b * b
		d := a - float64(scale)*b
		l2 += d * d
		magDot += math.Abs(a * b)
	}
	return dot, ss, l2, magDot
}

func TestRowKernels(t *testing.T) {
	needSIMD(t)
	r := rand.New(rand.NewPCG(4, 4))
	for _, dt := range rowDTypes {
		dk, lk := rowKernel(dt, false), rowKernel(dt, true)
		if dk == nil || lk == nil {
			if runtime.GOARCH == "arm64" && dt == engine.Int8 {
				continue // no NEON int8 row kernel yet
			}
			t.Fatalf("%s: no direct kernel on a machine with SIMD", dt)
		}
		for _, exact := range []bool{true, false} {
			for _, n := range testLengths() {
				for _, off := range []int{0, 1, 3} {
					name := fmt.Sprintf("%s n=%d offset=%d exact=%t", dt, n, off, exact)
					q, x := make([]float32, n+off)[off:], make([]float32, n)
					scale := float32(0.5)
					if exact { // small integers: every kernel's sums are exact
						smallInts(r, q)
						smallInts(r, x)
					} else {
						normals(r, q)
						normals(r, x)
						scale = 0.37
						if dt == engine.Int8 {
							for i := range x {
								x[i] *= 40
							}
						}
					}
					row, stored := encodeRow(dt, x, off)
					dot, ss, l2, mag := rowRef(q, stored, scale)
					gd, gss := dk(q, row, scale)
					gl2, zero := lk(q, row, scale)
					if exact {
						if float64(gd) != dot || float64(gss) != ss || float64(gl2) != l2 || zero != 0 {
							t.Errorf("%s: got dot %v ss %v l2 %v (%v), want %v %v %v", name, gd, gss, gl2, zero, dot, ss, l2)
						}
						continue
					}
					if math.Abs(float64(gd)-dot) > sumBound(n, mag) {
						t.Errorf("%s: dot %v, want %v", name, gd, dot)
					}
					if math.Abs(float64(gss)-ss) > sumBound(n, ss) {
						t.Errorf("%s: sum of squares %v, want %v", name, gss, ss)
					}
					if math.Abs(float64(gl2)-l2) > 2*sumBound(n, l2) {
						t.Errorf("%s: l2 %v, want %v", name, gl2, l2)
					}
				}
			}
		}
	}
}

// TestPairDot checks the two-row dot kernel against the direct float32
// kernel, bit for bit, on normals of every test length (the kernel's four-
// and one-block loops and its tail), rows at odd offsets: one query's
// scan takes either, and a score must not depend on which.
func TestPairDot(t *testing.T) {
	needSIMD(t)
	pair, dk := pairDot(), rowKernel(engine.Float32, false)
	if pair == nil {
		if runtime.GOARCH == "arm64" {
			testenv.SkipBecause(t, "no two-row kernel on arm64 yet")
		}
		t.Fatal("no two-row kernel on a machine with SIMD")
	}
	r := rand.New(rand.NewPCG(4, 5))
	for _, n := range testLengths() {
		for _, off := range []int{0, 1, 3} {
			q, x, y := make([]float32, n), make([]float32, n), make([]float32, n)
			normals(r, q)
			normals(r, x)
			normals(r, y)
			rx, _ := encodeRow(engine.Float32, x, off)
			ry, _ := encodeRow(engine.Float32, y, 2*off)
			gx, gy := pair(q, rx, ry)
			wx, _ := dk(q, rx, 1)
			wy, _ := dk(q, ry, 1)
			if math.Float32bits(gx) != math.Float32bits(wx) || math.Float32bits(gy) != math.Float32bits(wy) {
				t.Errorf("n=%d offset=%d: pair %v %v, direct kernel %v %v", n, off, gx, gy, wx, wy)
			}
		}
	}
}
