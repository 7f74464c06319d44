package engine_test

import (
	"math/rand/v2"
	"slices"
	"testing"
	"unsafe"

	"github.com/silica-go/silica/engine"
	"github.com/silica-go/silica/half"
)

// TestAppendReads checks AppendFloat32 and AppendInt64: the elements
// after dst's own, in dst's spare capacity when it has room (the same
// memory), in a new slice when not, decoded from float16 and int32, and
// dst unchanged on error (a freed array, a float array read as Int64).
func TestAppendReads(t *testing.T) {
	ok := mk(t)
	e := open(t)
	r := rand.New(rand.NewPCG(81, 82))
	const n = 1037
	fv := make([]float32, n)
	iv := make([]int64, n)
	i32 := make([]int32, n)
	for i := range fv {
		fv[i] = float32(r.NormFloat64())
		iv[i] = r.Int64() - r.Int64()
		i32[i] = int32(r.Uint32())
	}
	fa := ok(e.FromFloat32(fv, n))
	ia := ok(e.FromInt64(iv, n))
	i32a := ok(e.FromInt32(i32, n))
	ha := ok(e.FromFloat32As(fv, engine.Float16, n))

	roomy := append(make([]float32, 0, n+10), -1, -2)
	got, err := fa.AppendFloat32(roomy)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got, append([]float32{-1, -2}, fv...)) {
		t.Fatal("AppendFloat32 into spare capacity: wrong elements")
	}
	if unsafe.SliceData(got) != unsafe.SliceData(roomy) {
		t.Error("AppendFloat32 with room allocated a new slice")
	}
	got, err = fa.AppendFloat32([]float32{7})
	if err != nil || !slices.Equal(got, append([]float32{7}, fv...)) {
		t.Fatalf("AppendFloat32 without room: %v", err)
	}
	got, err = ha.AppendFloat32([]float32{3})
	if err != nil {
		t.Fatal(err)
	}
	for i, v := range fv {
		if w := half.FromFloat32(v).Float32(); got[i+1] != w || got[0] != 3 {
			t.Fatalf("float16 element %d: %v, want %v", i, got[i+1], w)
		}
	}

	ints := append(make([]int64, 0, 2*n), 5)
	gi, err := ia.AppendInt64(ints)
	if err != nil || !slices.Equal(gi, append([]int64{5}, iv...)) || unsafe.SliceData(gi) != unsafe.SliceData(ints) {
		t.Fatalf("AppendInt64 into spare capacity: %v", err)
	}
	gi, err = i32a.AppendInt64(nil)
	if err != nil {
		t.Fatal(err)
	}
	for i, v := range i32 {
		if gi[i] != int64(v) {
			t.Fatalf("int32 element %d: %d, want %d", i, gi[i], v)
		}
	}

	keep := []int64{1, 2}
	if out, err := fa.AppendInt64(keep); err == nil || !slices.Equal(out, keep) {
		t.Fatalf("AppendInt64 of float32: %v, %v; want an error and dst", out, err)
	}
	fa.Free()
	if out, err := fa.AppendFloat32(roomy[:2]); err == nil || !slices.Equal(out, []float32{-1, -2}) {
		t.Fatalf("AppendFloat32 of a freed array: %v, %v; want an error and dst", out, err)
	}
}
