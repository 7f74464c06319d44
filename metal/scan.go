package metal

import (
	"math"
	"strconv"

	"github.com/silica-go/silica/engine"
	"github.com/silica-go/silica/kernels"
)

// maxScanK is the largest k of the fused scan (OpScanTopK). Supports
// refuses a larger k, and the engine then runs the scores and a plain
// top-k (topk_radix, any k) instead.
const maxScanK = 1024

// scanThreads is the threadgroup size of the scan and merge kernels.
const scanThreads = 256

// scanKs are the compiled K of the scan: k rounds up to one of them.
var scanKs = []int{32, 64, 128, 256, 512, 1024}

// scanK rounds k up to a compiled K.
func scanK(k int) int {
	for _, K := range scanKs {
		if k <= K {
			return K
		}
	}
	return 0
}

// scanQueries is how many queries a scan threadgroup serves (QB in
// cosine_topk.metal).
func scanQueries(K int) int { return min(16, 1024/K) }

func init() {
	for _, K := range scanKs {
		ks := strconv.Itoa(K)
		for _, dt := range append(floatTypes, engine.Int8) {
			for _, variant := range []string{"scan", "scanmask"} {
				k := &mslKernel{
					Name: kernels.Name("cosine_topk", variant, dt, ks), Family: "cosine_topk", Ops: []engine.Op{engine.OpScanTopK},
					Threads: scanThreads,
					Buffers: []binding{{0, "q", roleInput, false}, {1, "x", roleInput, false}, {2, "partial", roleScratch, true},
						{3, "p", roleParams, false}},
					ThreadgroupMemory: []int{2*scanQueries(K)*K*8 + 64},
				}
				if dt == engine.Int8 {
					k.Buffers = append(k.Buffers, binding{4, "scales", roleInput, false})
				}
				if variant == "scanmask" {
					k.Buffers = append(k.Buffers, binding{len(k.Buffers), "bits", roleInput, false})
				}
				register(k)
			}
		}
		register(&mslKernel{
			Name: kernels.Name("cosine_topk", "merge", engine.Float32, ks), Family: "cosine_topk", Ops: []engine.Op{engine.OpScanTopK},
			Threads: min(scanThreads, max(32, K/2)),
			Buffers: []binding{{0, "partial", roleScratch, false}, {1, "values", roleOutput, true}, {2, "indices", roleOutput, true},
				{3, "p", roleParams, false}},
			ThreadgroupMemory: []int{2 * K * 8},
		})
	}
	stepKernels[engine.OpScanTopK] = scanKernel
	fits[engine.OpScanTopK] = scanFits
}

func scanFits(a *engine.Attrs, in []engine.Value) bool {
	if a.Mask {
		if len(in) < 3 || in[len(in)-1].DType != engine.Int32 {
			return false
		}
		in = in[:len(in)-1] // the bitmap, last
	}
	if a.K < 1 || a.K > maxScanK || len(in) < 2 || in[1].Shape[0] >= math.MaxUint32 {
		return false
	}
	q, x := in[0], in[1]
	if a.Quantize {
		return len(in) == 3 && x.DType == engine.Int8 && q.DType == engine.Float32
	}
	return len(in) == 2 && q.DType == x.DType && q.DType.IsFloat()
}

// scanParams packs silica.h's ScanParams {uint m, n, d, k, largest,
// metric, norm_a, norm_b, rows_per_group, groups;}.
func scanParams(m, n, d, k int, largest bool, metric engine.Metric, normA, normB bool, rowsPerGroup, groups int) []byte {
	return params(m, n, d, k, largest, int(metric), normA, normB, rowsPerGroup, groups)
}

// mergeParams packs silica.h's MergeParams {uint m, lists, kp, k, largest;}.
func mergeParams(m, lists, kp, k int, largest bool) []byte { return params(m, lists, kp, k, largest) }

// lowerScan: the scan writes, per query, one sorted list of K candidates
// for each of G groups of stored rows (scratch 0, m*G*K packed); the
// merge reduces them to k. G is at most 64, fewer when n is small (each
// group scans at least max(K, 256) rows) or m large (the partial lists
// stay under 64K lists in all).
func scanKernel(b *batch, s *engine.Step, in, out []engine.Value) error {
	a := s.Attrs
	q, x := in[0], in[1]
	m, d, n := q.Shape[0], q.Shape[1], x.Shape[0]
	K := scanK(a.K)
	groups := max(1, min(ceilDiv(n, max(K, 256)), 64, ceilDiv(65536, m)))
	rpg := ceilDiv(n, groups)
	groups = ceilDiv(n, rpg)
	ks := strconv.Itoa(K)
	variant := "scan"
	if a.Mask {
		variant = "scanmask"
	}
	scan, err := mustKernel(kernels.Name("cosine_topk", variant, x.DType, ks))
	if err != nil {
		return err
	}
	merge, err := mustKernel(kernels.Name("cosine_topk", "merge", engine.Float32, ks))
	if err != nil {
		return err
	}
	args := []kernelArg{argIn(0), argIn(1), argScratch(0),
		argParams(scanParams(m, n, d, a.K, a.Largest, a.Metric, a.NormA, a.NormB, rpg, groups))}
	if a.Quantize {
		args = append(args, argIn(2))
	}
	if a.Mask {
		args = append(args, argIn(len(in)-1))
	}
	return b.encode(&stepLaunch{
		Status:  -1,
		Scratch: []int{m * groups * K * 8},
		Dispatches: []kernelDispatch{
			dispatch(scan, groups2(groups, ceilDiv(m, scanQueries(K))), args),
			dispatch(merge, groups1(m), []kernelArg{argScratch(0), argOut(0), argOut(1), argParams(mergeParams(m, groups, K, a.K, a.Largest))}),
		},
	})
}
