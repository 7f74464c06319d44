package hamming

import (
	"encoding/binary"
	"math/rand/v2"
	"testing"

	_ "github.com/silica-go/silica/cuda" // registers the backend of kerneltest's GPU check
	"github.com/silica-go/silica/engine"
	"github.com/silica-go/silica/kernels/kerneltest"
)

// TestKernels runs the MSL (in the CPU harness) and, on a machine with an
// NVIDIA GPU, the CUDA kernel against the Go reference at awkward sizes:
// code lengths of 1, 24 and 128 words, k below, at and above n.
func TestKernels(t *testing.T) {
	for _, w := range []int{1, 24, MaxWords} {
		for _, k := range []int{1, 10, 1 << 20} {
			kerneltest.Check(t, Kernel, func(r *rand.Rand, n int) kerneltest.Case {
				d := 32*w - r.IntN(32) // bits that do not fill the last word
				m := 1 + r.IntN(3)
				return kerneltest.Case{
					In:     []engine.HostArray{codes(r, m, d), codes(r, n, d)},
					Params: []int64{int64(k)},
				}
			}, kerneltest.Options{Sizes: []int{1, 33, 257, 700}})
		}
	}
}

// codes packs n random vectors (with repeated prototypes, so that
// distances tie) as an Int32 host array.
func codes(r *rand.Rand, n, d int) engine.HostArray {
	packed, err := Pack(randomCodes(r, n, d), n, d)
	if err != nil {
		panic(err)
	}
	w := Words(d)
	raw := make([]byte, 4*len(packed))
	for i, v := range packed {
		binary.LittleEndian.PutUint32(raw[4*i:], uint32(v))
	}
	return engine.HostArray{Value: engine.Value{Shape: engine.Shape{n, w}, DType: engine.Int32}, Data: raw}
}
