package engine_test

import (
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/silica-go/silica/engine"
)

// TestFromFloat32Rows makes arrays from rows in separate slices on the
// CPU (a RowsWriter) and on a backend without RowsWriter (the rows
// joined), into buffers the pool held poisoned: each reads back the
// rows, in order, and feeds a product like FromFloat32 of the rows
// joined. A row of another length is a one-line error naming it, no
// rows one as FromFloat32's.
func TestFromFloat32Rows(t *testing.T) {
	ok := mk(t)
	type plain struct{ engine.Backend } // no RowsWriter
	r := rand.New(rand.NewPCG(4, 9))
	for _, e := range []*engine.Engine{engine.New("cpu", newCPU()), engine.New("plain", plain{newCPU()})} {
		_, isRW := e.Backend().(engine.RowsWriter)
		for _, shape := range [][2]int{{1, 1}, {37, 13}, {300, 129}, {1031, 257}} { // the last joined on several goroutines
			n, cols := shape[0], shape[1]
			poison := make([]float32, n*cols)
			for i := range poison {
				poison[i] = float32(math.NaN())
			}
			ok(e.FromFloat32(poison, n, cols)).Free() // its buffer back in the pool
			rows := make([][]float32, n)
			var joined []float32
			for i := range rows {
				rows[i] = make([]float32, cols, cols+3) // each its own allocation
				for j := range rows[i] {
					rows[i][j] = float32(r.NormFloat64())
				}
				joined = append(joined, rows[i]...)
			}
			x, err := e.FromFloat32Rows(rows, cols)
			if err != nil {
				t.Fatalf("%s (rows written: %v): %d x %d: %v", e.Name(), isRW, n, cols, err)
			}
			if got := x.Shape(); !slices.Equal(got, []int{n, cols}) {
				t.Fatalf("%s: %d x %d: shape %v", e.Name(), n, cols, got)
			}
			got, err := x.Float32()
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got, joined) {
				t.Fatalf("%s (rows written: %v): %d x %d: the array does not hold the rows", e.Name(), isRW, n, cols)
			}
			y := ok(e.FromFloat32(joined, n, cols))
			q := ok(e.RandomNormal(7, engine.Float32, cols, 3))
			a, b := ok(engine.MatMul(x, q, false, false)), ok(engine.MatMul(y, q, false, false))
			av, err := a.Float32()
			if err != nil {
				t.Fatal(err)
			}
			bv, err := b.Float32()
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(av, bv) {
				t.Fatalf("%s: %d x %d: a product of the rows differs from one of the rows joined", e.Name(), n, cols)
			}
		}
		if _, err := e.FromFloat32Rows(nil, 5); err == nil || !strings.Contains(err.Error(), "FromFloat32Rows") {
			t.Errorf("%s: no rows: error %v, want one naming FromFloat32Rows", e.Name(), err)
		}
		rows := [][]float32{make([]float32, 4), make([]float32, 4), make([]float32, 3)}
		if _, err := e.FromFloat32Rows(rows, 4); err == nil || !strings.Contains(err.Error(), "row 2") || strings.Contains(err.Error(), "\n") {
			t.Errorf("%s: a row of 3 values among rows of 4: error %v, want one line naming row 2", e.Name(), err)
		}
	}
}
