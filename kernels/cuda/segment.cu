// segment.cu: sums and maxima over segments of rows packed one after
// another (engine.OpSegmentSum, OpSegmentMax).
//
// Defines: T, the element type of x (float, f16, bf16); OP, the reduction
// (0 sum, 1 max, as reduce.cu's).

#ifndef SIL_T
#define SIL_T float
#endif
#define T SIL_T
#ifndef SIL_OP
#define SIL_OP 0
#endif
#define OP SIL_OP

// SEG_WARPS is the warps of a block (256 threads).
#define SEG_WARPS 8

// seg_add folds v into acc; max propagates NaN.
__device__ __forceinline__ float seg_add(float acc, float v) {
	if (OP == 0) return acc + v;
	if (v != v || acc != acc) return __uint_as_float(0x7fc00000u);
	return fmaxf(acc, v);
}

// segment_reduce: a block of 256 threads a task, a segment and 32 of its
// columns (task t: segment t / tiles, columns 32*(t % tiles) + lane), the
// tasks nseg*ceil(h/32) looped over by the grid. Warp w sums (or takes
// the maximum of) the segment's rows w, w+8, ..., lane c of a warp column
// c of the tile, so a warp reads 32 neighbouring elements of a row; warp
// 0 then combines the 8 partial results through shared memory, in warp
// order. starts holds nseg+1 row offsets (starts[nseg] = n); out is
// [nseg, h] float32, accumulated in float32. Dynamic shared memory:
// SEG_WARPS*32 floats (1 KiB).
extern "C" __global__ void __launch_bounds__(256) segment_reduce(const T* x, const int* starts, float* out, i64 h, i64 nseg)
{
	extern __shared__ __align__(16) unsigned char smem[];
	float* part = (float*)smem; // [SEG_WARPS][32]
	int lane = threadIdx.x & 31, w = threadIdx.x >> 5;
	i64 tiles = (h + 31) / 32;
	for (i64 task = blockIdx.x; task < nseg * tiles; task += gridDim.x) {
		i64 seg = task / tiles, c = (task % tiles) * 32 + lane;
		float acc = OP == 1 ? __uint_as_float(0xff800000u) : 0.0f; // -Inf for the maximum
		if (c < h) {
			for (i64 r = starts[seg] + w; r < starts[seg + 1]; r += SEG_WARPS) acc = seg_add(acc, to_f32(x[r * h + c]));
		}
		part[w * 32 + lane] = acc;
		__syncthreads();
		if (w == 0 && c < h) {
#pragma unroll
			for (int g = 1; g < SEG_WARPS; g++) acc = seg_add(acc, part[g * 32 + lane]);
			out[seg * h + c] = acc;
		}
		__syncthreads(); // part is read before the next task writes it
	}
}
