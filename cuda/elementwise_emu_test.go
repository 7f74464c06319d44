package cuda

import (
	"encoding/binary"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/silica-go/silica/engine"
)

// TestElementwiseRowEmulated runs a generated element-wise kernel whose
// inputs are a matrix, a row broadcast down it (a product's bias) and a
// single element, (x + row) * s, in the CPU emulator: the float4 path
// that finds each element's column (elementwise.go's isRow). Rows of 4
// to 68 columns, grids small enough that the grid-stride loop wraps; every
// element checked against the same float32 arithmetic.
func TestElementwiseRowEmulated(t *testing.T) {
	t.Parallel()
	prog := &engine.Program{NumInputs: 3, Instrs: []engine.Instr{{Op: engine.OpAdd, Args: [3]int{0, 1}}, {Op: engine.OpMul, Args: [3]int{3, 2}}}}
	f32 := func(s ...int) arg { return arg{Value: engine.Value{Shape: s, DType: engine.Float32}} }
	rng := rand.New(rand.NewPCG(19, 5))
	for _, c := range []struct{ m, c, blocks int }{{2, 4, 1}, {3, 8, 1}, {40, 68, 2}, {70, 36, 1}, {5, 1536, 3}} {
		in := []arg{f32(c.m, c.c), f32(c.c), f32(1)}
		o := f32(c.m, c.c).Value
		if !vectorizable(in, o) {
			t.Fatalf("m %d c %d: the inputs do not take the float4 path", c.m, c.c)
		}
		v, _, err := elementwiseVariant(prog, in, o)
		if err != nil {
			t.Fatal(err)
		}
		exe := buildEmuMain(t, v, "ew_row_main.cpp")
		var buf []byte
		for _, h := range []int64{int64(c.m), int64(c.c), int64(c.blocks)} {
			buf = binary.LittleEndian.AppendUint64(buf, uint64(h))
		}
		vals := func(n int) []float32 {
			x := make([]float32, n)
			for i := range x {
				x[i] = float32(rng.NormFloat64())
				buf = binary.LittleEndian.AppendUint32(buf, math.Float32bits(x[i]))
			}
			return x
		}
		x, row, s := vals(c.m*c.c), vals(c.c), vals(1)
		out := runEmu(t, exe, buf, 4*c.m*c.c)
		for i := range c.m * c.c {
			want := (x[i] + row[i%c.c]) * s[0]
			if got := math.Float32frombits(binary.LittleEndian.Uint32(out[4*i:])); got != want {
				t.Fatalf("m %d c %d blocks %d: element %d (row %d, column %d) = %v, want %v", c.m, c.c, c.blocks, i, i/c.c, i%c.c, got, want)
			}
		}
	}
}
