// reduce.cu: reductions along an axis, sums and maxima over segments of
// rows packed one after another (engine.OpSegmentSum, OpSegmentMax), row
// normalization, layer normalization, row norms.
//
// Defines: T, the input element type (float, f16, bf16, i8); OP, the
// reduction (0 sum, 1 max, 2 L2 norm).

#ifndef SIL_T
#define SIL_T float
#endif
#define T SIL_T
#ifndef SIL_OP
#define SIL_OP 0
#endif
#define OP SIL_OP

__device__ __forceinline__ float red_init() { return OP == 1 ? __uint_as_float(0xff800000u) : 0.0f; }

// red_add folds v into acc; max propagates NaN.
__device__ __forceinline__ float red_add(float acc, float v) {
	if (OP == 0) return acc + v;
	if (OP == 2) return fmaf(v, v, acc);
	if (v != v || acc != acc) return __uint_as_float(0x7fc00000u);
	return fmaxf(acc, v);
}

__device__ __forceinline__ float red_fin(float acc) { return OP == 2 ? sqrtf(acc) : acc; }

// reduce_inner: the input viewed as [outer, length, inner] with inner == 1:
// one warp reduces each contiguous row of length elements.
extern "C" __global__ void reduce_inner(const T* x, float* y, i64 outer, i64 length)
{
	int lane = threadIdx.x & 31;
	i64 w = (blockIdx.x * (i64)blockDim.x + threadIdx.x) >> 5;
	i64 nw = ((i64)gridDim.x * blockDim.x) >> 5;
	for (i64 r = w; r < outer; r += nw) {
		const T* xr = x + r * length;
		float acc = red_init();
		for (i64 j = lane; j < length; j += 32) acc = red_add(acc, to_f32(xr[j]));
#pragma unroll
		for (int o = 16; o > 0; o >>= 1) {
			float v = __shfl_xor_sync(0xffffffffu, acc, o);
			if (OP == 1) acc = (v != v || acc != acc) ? __uint_as_float(0x7fc00000u) : fmaxf(acc, v);
			else acc += v;
		}
		if (lane == 0) y[r] = red_fin(acc);
	}
}

// reduce_strided: inner > 1: one thread per output (o, i) walks the
// length axis; neighbouring threads read neighbouring elements.
extern "C" __global__ void reduce_strided(const T* x, float* y, i64 outer, i64 length, i64 inner)
{
	i64 total = outer * inner;
	for (i64 t = blockIdx.x * (i64)blockDim.x + threadIdx.x; t < total; t += (i64)gridDim.x * blockDim.x) {
		i64 o = t / inner, i = t - o * inner;
		const T* xp = x + o * length * inner + i;
		float acc = red_init();
		for (i64 l = 0; l < length; l++) acc = red_add(acc, to_f32(xp[l * inner]));
		y[t] = red_fin(acc);
	}
}

// SEG_WARPS is the warps of a block (256 threads).
#define SEG_WARPS 8

// segment_reduce (OP 0 or 1): a block of 256 threads a task, a segment and
// 32 of its columns (task t: segment t / tiles, columns 32*(t % tiles) +
// lane), the tasks nseg*ceil(h/32) looped over by the grid. Warp w sums
// (or takes the maximum of) the segment's rows w, w+8, ..., lane c of a
// warp column c of the tile, so a warp reads 32 neighbouring elements of a
// row; warp 0 then combines the 8 partial results through shared memory,
// in warp order. starts holds nseg+1 row offsets (starts[nseg] = n); out
// is [nseg, h] float32, accumulated in float32. Dynamic shared memory:
// SEG_WARPS*32 floats (1 KiB).
extern "C" __global__ void __launch_bounds__(256) segment_reduce(const T* x, const int* starts, float* out, i64 h, i64 nseg)
{
	extern __shared__ __align__(16) unsigned char smem[];
	float* part = (float*)smem; // [SEG_WARPS][32]
	int lane = threadIdx.x & 31, w = threadIdx.x >> 5;
	i64 tiles = (h + 31) / 32;
	for (i64 task = blockIdx.x; task < nseg * tiles; task += gridDim.x) {
		i64 seg = task / tiles, c = (task % tiles) * 32 + lane;
		float acc = red_init();
		if (c < h) {
			for (i64 r = starts[seg] + w; r < starts[seg + 1]; r += SEG_WARPS) acc = red_add(acc, to_f32(x[r * h + c]));
		}
		part[w * 32 + lane] = acc;
		__syncthreads();
		if (w == 0 && c < h) {
#pragma unroll
			for (int g = 1; g < SEG_WARPS; g++) acc = red_add(acc, part[g * 32 + lane]);
			out[seg * h + c] = acc;
		}
		__syncthreads(); // part is read before the next task writes it
	}
}

// row_sumsq is the sum of squares of a row of d, the whole warp taking
// part; every lane gets it.
__device__ __forceinline__ float row_sumsq(const T* xr, i64 d) {
	float ss = 0.0f;
	for (i64 j = threadIdx.x & 31; j < d; j += 32) {
		float v = to_f32(xr[j]);
		ss = fmaf(v, v, ss);
	}
	return warp_sum(ss);
}

// normalize_rows: y = x / max(||x||, 1e-12) for each row of d, one warp a
// row; the row is read twice (the second time from cache).
extern "C" __global__ void normalize_rows(const T* x, T* y, i64 rows, i64 d)
{
	int lane = threadIdx.x & 31;
	i64 w = (blockIdx.x * (i64)blockDim.x + threadIdx.x) >> 5;
	i64 nw = ((i64)gridDim.x * blockDim.x) >> 5;
	for (i64 r = w; r < rows; r += nw) {
		const T* xr = x + r * d;
		float ss = row_sumsq(xr, d);
		float inv = 1.0f / fmaxf(sqrtf(ss), 1e-12f);
		for (i64 j = lane; j < d; j += 32) store_f32(y, r * d + j, to_f32(xr[j]) * inv);
	}
}

// layer_norm_rows: y = (x - mean) / sqrt(var + eps) * gamma + beta for
// each row of d, one warp a row, in float32: the mean, then the biased
// variance from the deviations (a second pass, from cache, so that a large
// mean does not cancel the variance), then the output (a third pass).
extern "C" __global__ void layer_norm_rows(const T* x, const T* gamma, const T* beta, T* y, i64 rows, i64 d, float eps)
{
	int lane = threadIdx.x & 31;
	i64 w = (blockIdx.x * (i64)blockDim.x + threadIdx.x) >> 5;
	i64 nw = ((i64)gridDim.x * blockDim.x) >> 5;
	for (i64 r = w; r < rows; r += nw) {
		const T* xr = x + r * d;
		float s = 0.0f;
		for (i64 j = lane; j < d; j += 32) s += to_f32(xr[j]);
		float mean = warp_sum(s) / (float)d;
		float ss = 0.0f;
		for (i64 j = lane; j < d; j += 32) {
			float t = to_f32(xr[j]) - mean;
			ss = fmaf(t, t, ss);
		}
		float inv = 1.0f / sqrtf(warp_sum(ss) / (float)d + eps);
		for (i64 j = lane; j < d; j += 32)
			store_f32(y, r * d + j, fmaf((to_f32(xr[j]) - mean) * inv, to_f32(gamma[j]), to_f32(beta[j])));
	}
}

// normalize_rows4: normalize_rows for float rows with d % 4 == 0 and
// d <= 32*4*NV4: each lane keeps its part of the row in registers, so the
// row is read once, in 16-byte loads.
#ifndef SIL_NV4
#define SIL_NV4 4
#endif
#define NV4 SIL_NV4
extern "C" __global__ void normalize_rows4(const float4* x, float4* y, i64 rows, i64 d4)
{
	int lane = threadIdx.x & 31;
	i64 w = (blockIdx.x * (i64)blockDim.x + threadIdx.x) >> 5;
	i64 nw = ((i64)gridDim.x * blockDim.x) >> 5;
	for (i64 r = w; r < rows; r += nw) {
		float4 v[NV4];
		float ss = 0.0f;
#pragma unroll
		for (int i = 0; i < NV4; i++) {
			i64 j = lane + 32 * i;
			if (j < d4) {
				v[i] = x[r * d4 + j];
				ss = fmaf(v[i].x, v[i].x, ss);
				ss = fmaf(v[i].y, v[i].y, ss);
				ss = fmaf(v[i].z, v[i].z, ss);
				ss = fmaf(v[i].w, v[i].w, ss);
			}
		}
		ss = warp_sum(ss);
		float inv = 1.0f / fmaxf(sqrtf(ss), 1e-12f);
#pragma unroll
		for (int i = 0; i < NV4; i++) {
			i64 j = lane + 32 * i;
			if (j < d4) y[r * d4 + j] = make_float4(v[i].x * inv, v[i].y * inv, v[i].z * inv, v[i].w * inv);
		}
	}
}

// row_scales: s[r] = f[r] / max(f[r] * ||x_r||, 1e-12) when norm != 0 (f
// the optional row scales of int8 rows, else 1), or f[r] when norm == 0:
// the factor a row's dot products are multiplied by. n2[r] receives the
// norm of the scaled row when n2 != 0.
extern "C" __global__ void row_scales(const T* x, const float* f, float* s, float* n2, i64 rows, i64 d, int norm)
{
	int lane = threadIdx.x & 31;
	i64 w = (blockIdx.x * (i64)blockDim.x + threadIdx.x) >> 5;
	i64 nw = ((i64)gridDim.x * blockDim.x) >> 5;
	for (i64 r = w; r < rows; r += nw) {
		const T* xr = x + r * d;
		float ss = row_sumsq(xr, d);
		if (lane == 0) {
			float fr = f ? f[r] : 1.0f;
			float nr = fr * sqrtf(ss);
			s[r] = norm ? fr / fmaxf(nr, 1e-12f) : fr;
			if (n2) n2[r] = nr;
		}
	}
}
