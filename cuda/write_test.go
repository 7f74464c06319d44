package cuda

import (
	"bytes"
	"math/rand/v2"
	"testing"
)

// TestLargeWrite writes sizes around the staged path's threshold and
// chunk (through the pinned buffers, their last chunk short) and around
// the small pinned buffer's size (reads and writes of bounceSize or less
// go through it) at an offset into a poisoned buffer and reads every
// byte back, the bytes before the offset untouched.
func TestLargeWrite(t *testing.T) {
	b := openTest(t)
	r := rand.New(rand.NewPCG(3, 4))
	const off = 4099
	for _, n := range []int{1, 777, bounceSize - off, bounceSize - off + 1, stagedMin - 1, stagedMin, 3*stagedChunk + 12345} {
		src := make([]byte, n)
		for i := range src {
			src[i] = byte(r.Uint32())
		}
		buf, err := b.Alloc(off + n)
		if err != nil {
			t.Fatal(err)
		}
		poison := bytes.Repeat([]byte{0xa5}, off+n)
		if err := b.Write(buf, 0, poison); err != nil {
			t.Fatal(err)
		}
		if err := b.Write(buf, off, src); err != nil {
			t.Fatal(err)
		}
		got := make([]byte, off+n)
		if err := b.Read(buf, 0, got); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got[:off], poison[:off]) {
			t.Errorf("%d bytes: the write changed bytes before its offset", n)
		}
		if i := firstDiff(got[off:], src); i >= 0 {
			t.Errorf("%d bytes: byte %d reads %#x, wrote %#x", n, i, got[off+i], src[i])
		}
		b.Free(buf)
	}
}

// firstDiff returns the first index where a and b differ, or -1.
func firstDiff(a, b []byte) int {
	for i := range a {
		if a[i] != b[i] {
			return i
		}
	}
	return -1
}
