//go:build unix

package metal

import (
	"os"
	"syscall"
	"testing"
	"unsafe"

	"github.com/silica-go/silica/engine"
	"github.com/silica-go/silica/internal/testenv"
)

// TestZeroCopy shows that memory-mapped data is used in place: the GPU
// sees a change made through the mapping after the array was made.
func TestZeroCopy(t *testing.T) {
	b, err := New()
	testenv.Need(t, "metal", err)
	defer b.Close()
	zeroCopy(t, b)
}

// TestZeroCopyOnHarness is the same with the CPU harness in place of the
// GPU: the backend's wrapping and binding of wrapped memory at an offset.
func TestZeroCopyOnHarness(t *testing.T) {
	b, _ := newHarnessBackend(t)
	zeroCopy(t, b)
}

func zeroCopy(t *testing.T, b *Backend) {
	e := engine.New("metal", b)
	const n, d = 1000, 64
	f, err := os.CreateTemp(t.TempDir(), "rows")
	if err != nil {
		t.Fatal(err)
	}
	const header = 128 // as in a .npy file: the data does not start on a page
	size := header + 4*n*d
	if err := f.Truncate(int64(size)); err != nil {
		t.Fatal(err)
	}
	mem, err := syscall.Mmap(int(f.Fd()), 0, size, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_SHARED)
	if err != nil {
		t.Fatal(err)
	}
	defer syscall.Munmap(mem)
	rows := unsafe.Slice((*float32)(unsafe.Pointer(&mem[header])), n*d)
	for i := range rows {
		rows[i] = 1
	}
	before := b.MemoryInUse()
	x := must[*engine.Array](t)(e.FromBytesNoCopy(mem[header:], engine.Float32, n, d))
	if grew := b.MemoryInUse() - before; grew != 0 {
		t.Errorf("wrapping %d bytes allocated %d bytes of device memory", n*d*4, grew)
	}
	sum := func() float32 {
		s := must[*engine.Array](t)(engine.Sum(x, 1))
		v := must[[]float32](t)(s.Float32())
		return v[n-1]
	}
	if got := sum(); got != d {
		t.Fatalf("sum of a row of ones: %g, want %d", got, d)
	}
	rows[(n-1)*d] = 101 // through the mapping, not through the engine
	if got := sum(); got != d+100 {
		t.Errorf("after writing the mapping: row sum %g, want %d (the buffer is a copy?)", got, d+100)
	}
}
