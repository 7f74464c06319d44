// convert.cu: casts between dtypes, and row quantization to int8.
//
// Defines: SRC and DST, the element types (float, f16, bf16, i8, int,
// i64) of a cast; T, the float type of quantize.

#ifndef SIL_SRC
#define SIL_SRC float
#endif
#define SRC SIL_SRC
#ifndef SIL_DST
#define SIL_DST float
#endif
#define DST SIL_DST
#ifndef SIL_T
#define SIL_T float
#endif
#define T SIL_T

// Every element passes through a float64 or an int64, as on the CPU:
// float to integer truncates toward zero and saturates (NaN gives 0);
// integer to float rounds through float64 and then float32.
struct elem { double f; i64 i; bool is_int; };

__device__ __forceinline__ elem get(const float* p, i64 i) { return {(double)p[i], 0, false}; }
__device__ __forceinline__ elem get(const f16* p, i64 i) { return {(double)to_f32(p[i]), 0, false}; }
__device__ __forceinline__ elem get(const bf16* p, i64 i) { return {(double)to_f32(p[i]), 0, false}; }
__device__ __forceinline__ elem get(const i8* p, i64 i) { return {0.0, (i64)p[i], true}; }
__device__ __forceinline__ elem get(const int* p, i64 i) { return {0.0, (i64)p[i], true}; }
__device__ __forceinline__ elem get(const i64* p, i64 i) { return {0.0, p[i], true}; }

__device__ __forceinline__ i64 to_int(elem e, i64 lo, i64 hi) {
	if (e.is_int) return e.i < lo ? lo : (e.i > hi ? hi : e.i);
	if (e.f != e.f) return 0;
	if (e.f <= (double)lo) return lo;
	if (e.f >= (double)hi) return hi;
	return (i64)e.f;
}

__device__ __forceinline__ float as_float(elem e) { return e.is_int ? (float)(double)e.i : (float)e.f; }

__device__ __forceinline__ void put(float* p, i64 i, elem e) { p[i] = as_float(e); }
__device__ __forceinline__ void put(f16* p, i64 i, elem e) { p[i] = f32_to_f16(as_float(e)); }
__device__ __forceinline__ void put(bf16* p, i64 i, elem e) { p[i] = f32_to_bf16(as_float(e)); }
__device__ __forceinline__ void put(i8* p, i64 i, elem e) { p[i] = (i8)to_int(e, -128, 127); }
__device__ __forceinline__ void put(int* p, i64 i, elem e) { p[i] = (int)to_int(e, -2147483648ll, 2147483647ll); }
__device__ __forceinline__ void put(i64* p, i64 i, elem e) {
	p[i] = to_int(e, (i64)0x8000000000000000ull, 0x7fffffffffffffffll);
}

extern "C" __global__ void cast(const SRC* x, DST* y, i64 n)
{
	for (i64 i = blockIdx.x * (i64)blockDim.x + threadIdx.x; i < n; i += (i64)gridDim.x * blockDim.x)
		put(y, i, get(x, i));
}

// quantize_rows: one warp a row of d: scale = max|x|/127 (1 for a zero
// row), q = round(x/scale) (ties away from zero) clamped to [-127, 127].
extern "C" __global__ void quantize_rows(const T* x, i8* q, float* scales, i64 rows, i64 d)
{
	int lane = threadIdx.x & 31;
	i64 w = (blockIdx.x * (i64)blockDim.x + threadIdx.x) >> 5;
	i64 nw = ((i64)gridDim.x * blockDim.x) >> 5;
	for (i64 r = w; r < rows; r += nw) {
		const T* xr = x + r * d;
		float m = 0.0f;
		for (i64 j = lane; j < d; j += 32) m = fmaxf(m, fabsf(to_f32(xr[j])));
#pragma unroll
		for (int o = 16; o > 0; o >>= 1) m = fmaxf(m, __shfl_xor_sync(0xffffffffu, m, o));
		float scale = m / 127.0f;
		if (scale == 0.0f) scale = 1.0f;
		for (i64 j = lane; j < d; j += 32) {
			float v = roundf(to_f32(xr[j]) / scale);
			v = fminf(127.0f, fmaxf(-127.0f, v));
			q[r * d + j] = (i8)(int)v;
		}
		if (lane == 0) scales[r] = scale;
	}
}

// dequantize_rows: y = q * scale of its row.
extern "C" __global__ void dequantize_rows(const i8* q, const float* scales, float* y, i64 rows, i64 d)
{
	i64 n = rows * d;
	for (i64 i = blockIdx.x * (i64)blockDim.x + threadIdx.x; i < n; i += (i64)gridDim.x * blockDim.x)
		y[i] = (float)q[i] * scales[i / d];
}
