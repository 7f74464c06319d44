// Package hamming searches binary embeddings by Hamming distance with a
// fused top-k: float vectors packed to sign bits (Pack), then the k
// nearest codes of each query (Search), on any engine backend. It is built
// on the engine's public API only (engine.NewKernel), as a kernel added
// from outside Silica would be, so it doubles as the worked example of
// kernels/README.md ("Adding a kernel from outside Silica").
//
// # Binary embeddings
//
// A d-dimensional float vector becomes d bits, bit j set when component j
// is positive, packed 32 to a word (little-endian bit order: component j
// is bit j%32 of word j/32), so a 768-dimensional vector takes 24 words,
// 96 bytes: a 32nd of its float32 size. Words are stored in an engine
// Int32 array [n, words]. The Hamming distance of two codes is the number
// of bits in which they differ.
//
// # The kernel
//
// hamming_topk takes queries [m, w] and codes [n, w] (Int32) and returns,
// per query, the k codes of smallest distance: distances [m, k] Int32 and
// row indices [m, k] Int64, nearest first, ties broken by the smaller
// index (the engine's top-k rule). It has three implementations that
// compute the same function: Go (the reference and the CPU backend's),
// MSL (hamming.metal) and CUDA C (hamming.cu). The GPU kernels run one
// threadgroup (block) of 256 threads per query in two passes over the
// codes: a histogram of distances finds the distance t of the k-th
// nearest; the second pass writes every code nearer than t, and the first
// ones at t in index order, straight to its final rank, so no sort and no
// score matrix is needed. Distances are at most 32*w, and w at most
// MaxWords.
package hamming

import (
	_ "embed"
	"encoding/binary"
	"fmt"
	"math/bits"
	"sort"

	"github.com/silica-go/silica/engine"
)

// MaxWords is the longest code the GPU kernels accept: 128 words, 4096
// bits (their histogram lives in threadgroup memory).
const MaxWords = 128

// GroupSize is the threads of one threadgroup (CUDA block): one per query.
const GroupSize = 256

//go:embed hamming.metal
var mslSource string

//go:embed hamming.cu
var cudaSource string

// Kernel is hamming_topk, ready to Call with params {k}.
var Kernel = mustKernel()

func mustKernel() *engine.Kernel {
	k, err := engine.NewKernel(engine.KernelSpec{
		Name:    "hamming_topk",
		MSL:     mslSource,
		CUDA:    cudaSource,
		Go:      searchGo,
		Outputs: outputs,
		Grid: func(in, _ []engine.Value, _ []int64) (threads, group [3]int) {
			return [3]int{GroupSize * in[0].Shape[0], 1, 1}, [3]int{GroupSize, 1, 1}
		},
	})
	if err != nil {
		panic(err) // the spec above is fixed: a failure here is a bug in this file
	}
	return k
}

// outputs checks the inputs and gives the result shapes.
func outputs(in []engine.Value, params []int64) ([]engine.Value, error) {
	if len(in) != 2 || len(params) != 1 {
		return nil, fmt.Errorf("want queries, codes and one parameter k; got %d inputs and %d parameters", len(in), len(params))
	}
	q, x := in[0], in[1]
	if q.DType != engine.Int32 || x.DType != engine.Int32 || len(q.Shape) != 2 || len(x.Shape) != 2 {
		return nil, fmt.Errorf("want int32 matrices of packed codes, got %s %v and %s %v", q.DType, q.Shape, x.DType, x.Shape)
	}
	if q.Shape[1] != x.Shape[1] {
		return nil, fmt.Errorf("codes differ in length: queries %v, codes %v", q.Shape, x.Shape)
	}
	if q.Shape[1] > MaxWords {
		return nil, fmt.Errorf("codes of %d words; at most %d (%d bits)", q.Shape[1], MaxWords, 32*MaxWords)
	}
	k := params[0]
	if k < 1 {
		return nil, fmt.Errorf("k = %d; want k >= 1", k)
	}
	kk := int(min(k, int64(x.Shape[0])))
	return []engine.Value{
		{Shape: engine.Shape{q.Shape[0], kk}, DType: engine.Int32},
		{Shape: engine.Shape{q.Shape[0], kk}, DType: engine.Int64},
	}, nil
}

// Search returns the k codes of x nearest to each query of q by Hamming
// distance: distances [m, k] Int32 and indices [m, k] Int64 (k clamped to
// n), lazily, as any engine op.
func Search(q, x *engine.Array, k int) (dist, idx *engine.Array, err error) {
	out, err := Kernel.Call([]int64{int64(k)}, q, x)
	if err != nil {
		return nil, nil, err
	}
	return out[0], out[1], nil
}

// Pack turns n float vectors of dimension d (row-major) into n codes of
// Words(d) words: bit j set when component j is positive.
func Pack(v []float32, n, d int) ([]int32, error) {
	if n < 1 || d < 1 || len(v) != n*d {
		return nil, fmt.Errorf("hamming: %d values for %d vectors of dimension %d", len(v), n, d)
	}
	w := Words(d)
	out := make([]int32, n*w)
	for r := range n {
		for j, x := range v[r*d : (r+1)*d] {
			if x > 0 {
				out[r*w+j/32] |= int32(uint32(1) << (j % 32))
			}
		}
	}
	return out, nil
}

// Words returns the words a code of d bits takes.
func Words(d int) int { return (d + 31) / 32 }

// Distance returns the Hamming distance of two codes.
func Distance(a, b []int32) int {
	n := 0
	for i := range a {
		n += bits.OnesCount32(uint32(a[i] ^ b[i]))
	}
	return n
}

// searchGo is the reference: every distance, then a stable sort.
func searchGo(a *engine.KernelArgs) error {
	q, x := a.In[0], a.In[1]
	m, w, n := q.Shape[0], q.Shape[1], x.Shape[0]
	k := a.Out[0].Shape[1]
	code := func(h engine.HostArray, r int) []int32 {
		c := make([]int32, w)
		for j := range c {
			c[j] = int32(binary.LittleEndian.Uint32(h.Data[4*(r*w+j):]))
		}
		return c
	}
	codes := make([][]int32, n)
	for r := range codes {
		codes[r] = code(x, r)
	}
	dist := make([]int, n)
	order := make([]int, n)
	for i := range m {
		qc := code(q, i)
		for r := range n {
			dist[r], order[r] = Distance(qc, codes[r]), r
		}
		sort.SliceStable(order, func(a, b int) bool { return dist[order[a]] < dist[order[b]] })
		for j := range k {
			binary.LittleEndian.PutUint32(a.Out[0].Data[4*(i*k+j):], uint32(dist[order[j]]))
			binary.LittleEndian.PutUint64(a.Out[1].Data[8*(i*k+j):], uint64(order[j]))
		}
	}
	return nil
}
