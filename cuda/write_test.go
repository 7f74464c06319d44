package cuda

import (
	"bytes"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/silica-go/silica/engine"
	"github.com/silica-go/silica/engine/backendtest"
)

// TestLargeWrite writes sizes around the small pinned buffer's size
// (reads and writes of bounceSize or less go through it, larger ones are
// staged through the two large pinned buffers) and around the large
// buffers' chunk (their last chunk short) at an offset into a poisoned
// buffer, and reads every byte back, from 0 and from the offset, the
// bytes before the offset untouched.
func TestLargeWrite(t *testing.T) {
	b := openTest(t)
	r := rand.New(rand.NewPCG(3, 4))
	const off = 4099
	for _, n := range []int{1, 777, bounceSize - off, bounceSize - off + 1, bounceSize, bounceSize + 1, 3 << 20, stagedChunk - 1, stagedChunk, 3*stagedChunk + 12345} {
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
		part := make([]byte, n)
		if err := b.Read(buf, off, part); err != nil {
			t.Fatal(err)
		}
		if i := firstDiff(part, src); i >= 0 {
			t.Errorf("%d bytes read from their offset: byte %d reads %#x, wrote %#x", n, i, part[i], src[i])
		}
		b.Free(buf)
	}
}

// TestWriteRows writes rows held in separate slices (engine.RowsWriter)
// at an offset into a poisoned buffer: through the pinned buffer of small
// writes, through the staging buffers with rows across their ends, a row
// longer than one of them; each read back against the rows joined. Rows
// of unequal length and a write past the buffer's end are errors.
func TestWriteRows(t *testing.T) {
	b := openTest(t)
	r := rand.New(rand.NewPCG(5, 8))
	const off = 4099
	for _, c := range []struct{ n, rb int }{
		{1, 1}, {3, 3108}, {bounceSize / 3108, 3108}, {bounceSize/3108 + 1, 3108},
		{27000, 3108}, {2, stagedChunk + 12}, {5, stagedChunk / 2},
	} {
		rows := make([][]byte, c.n)
		var joined []byte
		for i := range rows {
			rows[i] = make([]byte, c.rb)
			for j := range rows[i] {
				rows[i][j] = byte(r.Uint32())
			}
			joined = append(joined, rows[i]...)
		}
		buf, err := b.Alloc(off + len(joined) + 5)
		if err != nil {
			t.Fatal(err)
		}
		poison := bytes.Repeat([]byte{0xa5}, off+len(joined)+5)
		if err := b.Write(buf, 0, poison); err != nil {
			t.Fatal(err)
		}
		if err := b.WriteRows(buf, off, rows); err != nil {
			t.Fatal(err)
		}
		got := make([]byte, len(poison))
		if err := b.Read(buf, 0, got); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got[:off], poison[:off]) || !bytes.Equal(got[off+len(joined):], poison[off+len(joined):]) {
			t.Errorf("%d rows of %d bytes: the write changed bytes outside its rows", c.n, c.rb)
		}
		if i := firstDiff(got[off:off+len(joined)], joined); i >= 0 {
			t.Errorf("%d rows of %d bytes: byte %d (row %d) reads %#x, wrote %#x", c.n, c.rb, i, i/c.rb, got[off+i], joined[i])
		}
		if c.n > 1 {
			ragged := append(slices.Clone(rows[:c.n-1]), rows[c.n-1][1:])
			if err := b.WriteRows(buf, off, ragged); err == nil || strings.Contains(err.Error(), "\n") {
				t.Errorf("%d rows of %d bytes, the last one shorter: error %v, want one line", c.n, c.rb, err)
			}
		}
		if err := b.WriteRows(buf, 6+off, rows); err == nil {
			t.Errorf("%d rows of %d bytes written past the buffer's end: no error", c.n, c.rb)
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

// TestUploadsInStreamOrder evaluates one plan of 24 attention steps, each
// over packed sequences of its own: their starts and blocks' tasks (13
// KB a step) go through the uploads buffer, which fills and is reused
// after a sync within the run. Each step is checked against
// backendtest.AttentionRef, so a step that read another's starts, or
// starts overwritten before their copy ran, fails.
func TestUploadsInStreamOrder(t *testing.T) {
	b := openTest(t)
	e := engine.New("cuda", b)
	r := rand.New(rand.NewPCG(5, 6))
	const h, heads, steps = 64, 2, 24
	base := make([]int, 1100)
	n := 0
	for i := range base {
		base[i] = 1 + r.IntN(3)
		n += base[i]
	}
	vals := make([]float32, n*h)
	ref := make([]float64, n*h)
	for i := range vals {
		vals[i] = float32(r.NormFloat64())
		ref[i] = float64(vals[i])
	}
	x, err := e.FromFloat32(vals, n, h)
	if err != nil {
		t.Fatal(err)
	}
	var outs []*engine.Array
	var lengths [][]int
	for s := range steps {
		l := append(slices.Clone(base[s:]), base[:s]...)
		a, err := engine.Attention(x, x, x, heads, 0.125, l)
		if err != nil {
			t.Fatal(err)
		}
		outs, lengths = append(outs, a), append(lengths, l)
	}
	if err := e.Eval(outs...); err != nil {
		t.Fatal(err)
	}
	for s, a := range outs {
		got, err := a.Float32()
		if err != nil {
			t.Fatal(err)
		}
		var num, den float64
		for i, w := range backendtest.AttentionRef(ref, ref, ref, h, heads, 0.125, lengths[s]) {
			num += (float64(got[i]) - w) * (float64(got[i]) - w)
			den += w * w
		}
		if e := math.Sqrt(num / den); !(e <= backendtest.TolFloat32) {
			t.Errorf("step %d of %d: relative error %.3g > %.3g", s, steps, e, backendtest.TolFloat32)
		}
	}
}

// TestSmallWritesInStreamOrder queues small writes (up to uploadSize
// bytes, in the stream's order through the uploads buffer) behind 16
// GiB of memsets, so that the device is busy while the host goes on: 60
// buffers of awkward sizes, about three rounds of the uploads buffer,
// a third of them written over in part by a second write, each source
// cleared as soon as Write returns. Every buffer must read back what was
// written last, so a write whose bytes in the uploads buffer were reused
// before its copy ran, or that kept a view of the caller's memory, or
// that ran out of order, fails (run 30 on an H100: with device.upload
// starting the buffer over when full, without waiting for the stream,
// buffers 41 to 43 read other bytes; with 4 GiB of memsets and the
// sources made between the writes the device had finished first, and
// that build passed).
func TestSmallWritesInStreamOrder(t *testing.T) {
	b := openTest(t)
	busy, err := b.Alloc(256 << 20)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Free(busy)
	r := rand.New(rand.NewPCG(7, 8))
	random := func(n int) []byte {
		p := make([]byte, n)
		for i := range p {
			p[i] = byte(r.Uint32())
		}
		return p
	}
	// Everything the writes need is made first, so that they are queued
	// faster than the device's memsets run.
	type write struct {
		buf       engine.Buffer
		src, part []byte
		off       int
	}
	var ws []write
	var want [][]byte
	total := 0
	for i := range 60 {
		n := 1 + r.IntN(24000)
		if i == 7 {
			n = uploadSize
		}
		buf, err := b.Alloc(n)
		if err != nil {
			t.Fatal(err)
		}
		defer b.Free(buf)
		w := write{buf: buf, src: random(n)}
		cur := slices.Clone(w.src)
		if i%3 == 0 {
			w.off = r.IntN(n)
			w.part = random(1 + r.IntN(n-w.off))
			copy(cur[w.off:], w.part)
		}
		ws, want = append(ws, w), append(want, cur)
		total += n
	}
	if total < 2*uploadSize {
		t.Fatalf("the writes hold %d bytes, fewer than two rounds of the uploads buffer (%d)", total, uploadSize)
	}
	if err := b.do(func() error {
		for range 64 {
			if err := check("cuMemsetD32Async", cuMemsetD32Async(busy.(*buffer).ptr, 7, 64<<20, b.d.stream)); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	for _, w := range ws {
		if err := b.Write(w.buf, 0, w.src); err != nil {
			t.Fatal(err)
		}
		clear(w.src)
		if w.part != nil {
			if err := b.Write(w.buf, w.off, w.part); err != nil {
				t.Fatal(err)
			}
			clear(w.part)
		}
	}
	for i, w := range ws {
		got := make([]byte, len(want[i]))
		if err := b.Read(w.buf, 0, got); err != nil {
			t.Fatal(err)
		}
		if j := firstDiff(got, want[i]); j >= 0 {
			t.Errorf("buffer %d of %d bytes: byte %d reads %#x, wrote %#x last", i, len(got), j, got[j], want[i][j])
		}
	}
}
