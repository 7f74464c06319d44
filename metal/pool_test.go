package metal

import "testing"

type fakeBuffer struct{ b []byte }

func (f *fakeBuffer) bytes() []byte { return f.b }

func TestSizeClass(t *testing.T) {
	prev := 0
	for n := 1; n < 3<<20; n += 1 + n/7 {
		c := sizeClass(n)
		if c < n {
			t.Fatalf("sizeClass(%d) = %d, smaller than asked", n, c)
		}
		if n > 256 && n <= 1<<20 && float64(c) > 1.25*float64(n)+1 {
			t.Errorf("sizeClass(%d) = %d wastes more than 25%%", n, c)
		}
		if n > 1<<20 && (c%classPage != 0 || c-n >= classPage) {
			t.Errorf("sizeClass(%d) = %d, want the next multiple of %d", n, c, classPage)
		}
		if c < prev {
			t.Errorf("sizeClass not monotonic: %d after %d", c, prev)
		}
		prev = c
	}
}

func TestPoolBoundsIdleBytes(t *testing.T) {
	p := newPool(3000)
	a, b := &fakeBuffer{}, &fakeBuffer{}
	p.allocated(1024)
	p.allocated(2048)
	if got := p.bytesInUse(); got != 3072 {
		t.Fatalf("in use %d, want 3072", got)
	}
	if !p.put(2048, b) {
		t.Fatal("pool refused a buffer under its limit")
	}
	if p.put(1024, a) {
		t.Fatal("pool kept a buffer past its limit")
	}
	if got := p.bytesInUse(); got != 2048 {
		t.Errorf("in use %d after releasing 1024, want 2048", got)
	}
	if p.get(1024) != nil {
		t.Error("got a buffer of a class never pooled")
	}
	if p.get(2048) != b {
		t.Error("pooled buffer not returned")
	}
	p.put(2048, b)
	if d := p.drain(); len(d) != 1 || d[0] != b || p.bytesInUse() != 0 {
		t.Errorf("drain returned %v, in use %d after", d, p.bytesInUse())
	}
}
