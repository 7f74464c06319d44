package metal

import (
	"bytes"
	"errors"
	"testing"

	"github.com/silica-go/silica/engine"
)

func TestBuffers(t *testing.T) {
	d := newHostDevice()
	m := newBackend(d)
	b, err := m.Alloc(1000)
	if err != nil {
		t.Fatal(err)
	}
	if b.Size() != 1000 || m.MemoryInUse() != int64(sizeClass(1000)) {
		t.Fatalf("size %d, in use %d; want 1000 and %d", b.Size(), m.MemoryInUse(), sizeClass(1000))
	}
	src := bytes.Repeat([]byte{7, 8, 9}, 300)
	if err := m.Write(b, 50, src); err != nil {
		t.Fatal(err)
	}
	got := make([]byte, len(src))
	if err := m.Read(b, 50, got); err != nil || !bytes.Equal(got, src) {
		t.Fatalf("read back %v (%v)", got[:6], err)
	}
	for _, off := range []int{-1, 101} {
		if m.Write(b, off, src) == nil || m.Read(b, off, got) == nil {
			t.Errorf("900 bytes at offset %d of a 1000-byte buffer: no error", off)
		}
	}
	// Freed, the buffer waits in the pool and comes back for the same class.
	m.Free(b)
	if m.MemoryInUse() != int64(sizeClass(1000)) {
		t.Errorf("pooled buffer not counted: %d", m.MemoryInUse())
	}
	c, _ := m.Alloc(990)
	if len(d.live) != 1 {
		t.Errorf("%d device buffers live after reuse, want 1", len(d.live))
	}
	m.Free(c)
	m.Free(c) // twice: harmless
	if _, err := m.Alloc(0); err == nil {
		t.Error("Alloc(0): no error")
	}
	if err := m.Close(); err != nil || !d.closed || len(d.live) != 0 {
		t.Errorf("close: %v; device closed %t, %d buffers live", err, d.closed, len(d.live))
	}
}

func TestAllocRetriesAfterDrainingThePool(t *testing.T) {
	d := newHostDevice()
	m := newBackend(d)
	b, _ := m.Alloc(4096)
	m.Free(b)
	d.refuse = true
	if _, err := m.Alloc(1 << 20); err == nil {
		t.Fatal("allocation on a full device succeeded")
	}
	if len(d.live) != 0 || m.MemoryInUse() != 0 {
		t.Errorf("pool not drained on failure: %d live, %d in use", len(d.live), m.MemoryInUse())
	}
}

func TestWrapHost(t *testing.T) {
	d := newHostDevice()
	m := newBackend(d)
	words := make([]uint64, 64)
	mem := unsafeBytes(words)
	w, err := m.WrapHost(mem[16:])
	if err != nil {
		t.Fatal(err)
	}
	if d.wrapped != 1 || m.MemoryInUse() != 0 {
		t.Errorf("aligned memory: wrapped %d, %d bytes allocated; want in place", d.wrapped, m.MemoryInUse())
	}
	mem[16] = 42 // the caller's memory is the buffer's
	got := make([]byte, 1)
	m.Read(w, 0, got)
	if got[0] != 42 {
		t.Error("wrapped buffer is not the caller's memory")
	}
	if m.Write(w, 0, []byte{1}) == nil {
		t.Error("write into the caller's wrapped memory: no error")
	}
	m.Free(w)
	if len(d.live) != 0 {
		t.Error("wrapped buffer not released by Free")
	}
	// Unaligned memory is copied, and counted.
	u, err := m.WrapHost(mem[3:40])
	if err != nil {
		t.Fatal(err)
	}
	if d.wrapped != 1 || m.MemoryInUse() == 0 {
		t.Errorf("unaligned memory: wrapped %d times, %d bytes allocated; want a copy", d.wrapped, m.MemoryInUse())
	}
	got = make([]byte, 37)
	m.Read(u, 0, got)
	if !bytes.Equal(got, mem[3:40]) {
		t.Error("copy of unaligned memory differs")
	}
	if _, err := m.WrapHost(nil); err == nil {
		t.Error("wrap of nothing: no error")
	}
}

// TestRunRefusesWhatItCannot: a step without a kernel is ErrUnsupported,
// and a closed backend runs nothing.
func TestRunRefusesWhatItCannot(t *testing.T) {
	m := newBackend(newHostDevice())
	p := &engine.Plan{
		Values: []engine.Value{{Shape: engine.Shape{4}, DType: engine.Int64, Slot: -1}, {Shape: engine.Shape{4}, DType: engine.Int64, Slot: 0}},
		Steps:  []engine.Step{{Op: engine.OpInvalid, In: []int{0}, Out: []int{1}}},
	}
	a, _ := m.Alloc(32)
	b, _ := m.Alloc(32)
	err := m.Run(p, []engine.Buffer{a, b})
	if !errors.Is(err, engine.ErrUnsupported) {
		t.Errorf("an op without kernels: %v, want ErrUnsupported", err)
	}
	m.Close()
	if err := m.Run(&engine.Plan{}, nil); err == nil {
		t.Error("run on a closed backend: no error")
	}
}
