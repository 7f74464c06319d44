package engine_test

import (
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/silica-go/silica/engine"
)

// hostCopy is the CPU backend without engine.BufferCopier (nor
// HostWrapper): CopyRows must go through the host.
type hostCopy struct{ engine.Backend }

// TestCopyRowsThroughHost fills an Empty array from two sources on a
// backend without BufferCopier and reads it back whole and through a Head
// view freed after its parent.
func TestCopyRowsThroughHost(t *testing.T) {
	e := engine.New("host-copy", hostCopy{newCPU()})
	if _, ok := e.Backend().(engine.BufferCopier); ok {
		t.Fatal("the wrapper still copies on the device")
	}
	r := rand.New(rand.NewPCG(5, 6))
	const d = 7
	dst, err := e.Empty(engine.Float32, 23, d)
	if err != nil {
		t.Fatal(err)
	}
	var want []float32
	at := 0
	for _, n := range []int{9, 14} {
		v := make([]float32, n*d)
		for i := range v {
			v[i] = float32(r.NormFloat64())
		}
		src, err := e.FromFloat32(v, n, d)
		if err != nil {
			t.Fatal(err)
		}
		if err := engine.CopyRows(dst, at, src); err != nil {
			t.Fatal(err)
		}
		want = append(want, v...)
		at += n
	}
	head, err := dst.Head(20)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := dst.Float32(); err != nil || !slices.Equal(got, want) {
		t.Fatalf("copied rows: %v, %v; want %v", got, err, want)
	}
	dst.Free()
	if got, err := head.Float32(); err != nil || !slices.Equal(got, want[:20*d]) {
		t.Fatalf("head after its parent was freed: %v, %v; want %v", got, err, want[:20*d])
	}
	head.Free()
}
