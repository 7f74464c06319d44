package cpu

import "testing"

// TestPool checks that a large freed buffer is reused by the next Alloc
// of its size, counted in MemoryInUse while pooled, and that small ones
// and wrapped host memory are not pooled.
func TestPool(t *testing.T) {
	c := newBackend()
	big, err := c.Alloc(poolMin + 12)
	if err != nil {
		t.Fatal(err)
	}
	if big.Size() != poolMin+12 || c.MemoryInUse() != poolMin+12 {
		t.Fatalf("size %d, in use %d", big.Size(), c.MemoryInUse())
	}
	first := &big.(*buffer).b[0]
	c.Free(big)
	held := int64(8 * poolWords((poolMin+12+7)/8))
	if c.MemoryInUse() != held {
		t.Fatalf("in use %d after freeing into the pool, want %d (the pooled bytes)", c.MemoryInUse(), held)
	}
	again, _ := c.Alloc(poolMin + 12)
	if &again.(*buffer).b[0] != first {
		t.Fatal("a freed buffer of the same size was not reused")
	}
	if c.MemoryInUse() != poolMin+12 {
		t.Fatalf("in use %d after reuse", c.MemoryInUse())
	}
	other, _ := c.Alloc(poolMin + 4096)
	if &other.(*buffer).b[0] == first {
		t.Fatal("a buffer in use was handed out again")
	}
	// A buffer of the same size class, freed, serves a slightly larger
	// Alloc, which sees only the bytes it asked for.
	if poolWords((poolMin+4096+7)/8) != poolWords((poolMin+8192+7)/8) {
		t.Fatal("test sizes are not of one size class")
	}
	second := &other.(*buffer).b[0]
	c.Free(other)
	larger, _ := c.Alloc(poolMin + 8192)
	if &larger.(*buffer).b[0] != second || larger.Size() != poolMin+8192 {
		t.Fatalf("a freed buffer of the same size class was not reused (size %d)", larger.Size())
	}
	small, _ := c.Alloc(4000)
	before := c.MemoryInUse()
	c.Free(small)
	if c.MemoryInUse() != before-4000 {
		t.Fatalf("freeing 4000 bytes: in use %d, want %d", c.MemoryInUse(), before-4000)
	}
	host := make([]byte, 2*poolMin)
	w, _ := c.WrapHost(host)
	c.Free(w)
	if got, _ := c.Alloc(2 * poolMin); &got.(*buffer).b[0] == &host[0] {
		t.Fatal("wrapped host memory was pooled")
	}
}

// TestPoolLimit checks that the pool holds at most poolMax bytes.
func TestPoolLimit(t *testing.T) {
	var p pool
	n := poolMax / 8 / 3
	for i := range 4 {
		if kept := p.put(make([]uint64, n)); kept != (i < 3) {
			t.Fatalf("put %d: kept %t", i, kept)
		}
	}
	if p.held() > poolMax {
		t.Fatalf("pool holds %d bytes, limit %d", p.held(), poolMax)
	}
}

// TestPoolReach checks that a freed buffer is not taken by an Alloc of
// a size class more than poolReach classes below its own, serves one
// poolReach classes below, and goes back to its own class when freed
// (the pool counts its whole size).
func TestPoolReach(t *testing.T) {
	c := newBackend()
	class := func(words int, up int) int {
		for range up {
			words = poolWords(words + 1)
		}
		return words
	}
	far := poolWords(poolMin / 8 * 3)
	base := class(far, 1)
	top := class(base, poolReach)
	big, _ := c.Alloc(8 * top)
	first := &big.(*buffer).b[0]
	c.Free(big)
	if got, _ := c.Alloc(8 * far); &got.(*buffer).b[0] == first {
		t.Fatalf("a buffer %d classes up served the Alloc", poolReach+1)
	}
	got, _ := c.Alloc(8 * base)
	if &got.(*buffer).b[0] != first || got.Size() != 8*base {
		t.Fatalf("a buffer %d classes up did not serve the Alloc (size %d)", poolReach, got.Size())
	}
	c.Free(got)
	if held := c.pool.held(); held != int64(8*top) {
		t.Fatalf("pool holds %d bytes after the free, want %d (the buffer's own class)", held, 8*top)
	}
	if again, _ := c.Alloc(8 * top); &again.(*buffer).b[0] != first {
		t.Fatal("the buffer did not go back to its own class")
	}
}
