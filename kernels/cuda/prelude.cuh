// prelude.cuh: what every Silica CUDA kernel shares. The Go side puts it in
// front of each kernel file before NVRTC compiles it, so the kernels need no
// header of the CUDA toolkit: element types, loads and stores in float32,
// the rank keys of top-k selection, warp and block reductions and sorts.

typedef unsigned long long u64;
typedef long long i64;
typedef unsigned int u32;
typedef signed char i8;

// 16-bit floats are plain storage; arithmetic is float32.
struct f16 { unsigned short x; };
struct bf16 { unsigned short x; };

__device__ __forceinline__ float to_f32(float v) { return v; }
__device__ __forceinline__ float to_f32(f16 v) {
	float f;
	asm("cvt.f32.f16 %0, %1;" : "=f"(f) : "h"(v.x));
	return f;
}
__device__ __forceinline__ float to_f32(bf16 v) { return __uint_as_float(((u32)v.x) << 16); }
__device__ __forceinline__ float to_f32(i8 v) { return (float)v; }

// Rounding to 16 bits: to nearest even, as package half does (NaN stays a
// quiet NaN of the same sign).
__device__ __forceinline__ f16 f32_to_f16(float v) {
	f16 h;
	asm("cvt.rn.f16.f32 %0, %1;" : "=h"(h.x) : "f"(v));
	return h;
}
__device__ __forceinline__ bf16 f32_to_bf16(float v) {
	u32 b = __float_as_uint(v);
	bf16 h;
	if ((b & 0x7fffffffu) > 0x7f800000u) {
		h.x = (unsigned short)((b >> 16) | 0x40);
		return h;
	}
	b += 0x7fffu + ((b >> 16) & 1u);
	h.x = (unsigned short)(b >> 16);
	return h;
}

// masked_score is the score a row bitmap's failing row gets
// (engine.OpMaskRows): the worst of the order, -Inf when the largest come
// first (largest), else +Inf.
__device__ __forceinline__ float masked_score(bool largest) { return __uint_as_float(largest ? 0xff800000u : 0x7f800000u); }
__device__ __forceinline__ void store_f32(float* p, i64 i, float v) { p[i] = v; }
__device__ __forceinline__ void store_f32(f16* p, i64 i, float v) { p[i] = f32_to_f16(v); }
__device__ __forceinline__ void store_f32(bf16* p, i64 i, float v) { p[i] = f32_to_bf16(v); }
__device__ __forceinline__ void store_f32(i8* p, i64 i, float v) { p[i] = (i8)(int)fminf(127.0f, fmaxf(-128.0f, rintf(v))); }

// Rank keys order top-k candidates: a smaller key ranks ahead. The high 32
// bits order the scores (largest or smallest first, NaN last, -0 equal to
// +0), the low 32 bits hold the index, so equal scores rank by the smaller
// index, as the CPU backend does. EMPTY_KEY ranks after every real key.
#define EMPTY_KEY 0xffffffffffffffffull

__device__ __forceinline__ u32 rank32(float v, bool largest) {
	if (v != v) return 0xffffffffu;
	if (v == 0.0f) v = 0.0f;
	u32 b = __float_as_uint(v);
	u32 s = (b & 0x80000000u) ? ~b : (b | 0x80000000u);
	return largest ? ~s : s;
}

__device__ __forceinline__ float unrank32(u32 r, bool largest) {
	if (r == 0xffffffffu) return __uint_as_float(0x7fc00000u);
	u32 s = largest ? ~r : r;
	u32 b = (s & 0x80000000u) ? (s & 0x7fffffffu) : ~s;
	return __uint_as_float(b);
}

__device__ __forceinline__ u64 make_key(float v, bool largest, u32 idx) {
	return ((u64)rank32(v, largest) << 32) | (u64)idx;
}

__device__ __forceinline__ float warp_sum(float v) {
#pragma unroll
	for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(0xffffffffu, v, o);
	return v;
}

// bitonic_step is one compare-exchange pass of a bitonic sort of a[0:n)
// (ascending), shared among threads first, first+step, ...
__device__ __forceinline__ void bitonic_step(u64* a, int n, int size, int stride, int first, int step) {
	for (int t = first; t < n / 2; t += step) {
		int i = 2 * t - (t & (stride - 1));
		int j = i + stride;
		u64 x = a[i], y = a[j];
		bool up = (i & size) == 0;
		if ((x > y) == up) { a[i] = y; a[j] = x; }
	}
}

// warp_sort sorts a[0:n) ascending (n a power of two), the whole warp
// taking part; a may be shared or global memory.
__device__ void warp_sort(u64* a, int n) {
	int lane = threadIdx.x & 31;
	__syncwarp();
	for (int size = 2; size <= n; size <<= 1) {
		for (int stride = size >> 1; stride > 0; stride >>= 1) {
			bitonic_step(a, n, size, stride, lane, 32);
			__syncwarp();
		}
	}
}

// warp_shrink sorts the first cnt keys of buf (capacity c, a power of
// two; the rest is treated as EMPTY_KEY) and keeps the best kk at its
// front. The sort runs in sb, the warp's c keys of shared memory, when sb
// is not null, else in buf itself. Returns the kk-th best key.
__device__ u64 warp_shrink(u64* buf, u64* sb, int cnt, int c, int kk) {
	int lane = threadIdx.x & 31;
	__syncwarp();
	u64* a = sb ? sb : buf;
	for (int u = lane; u < c; u += 32) {
		if (sb) a[u] = u < cnt ? buf[u] : EMPTY_KEY;
		else if (u >= cnt) a[u] = EMPTY_KEY;
	}
	warp_sort(a, c);
	if (sb) {
		for (int u = lane; u < kk; u += 32) buf[u] = a[u];
		__syncwarp();
	}
	return a[kk - 1];
}

// block_sort sorts a[0:n) ascending (n a power of two), every thread of
// the block taking part.
__device__ void block_sort(u64* a, int n) {
	__syncthreads();
	for (int size = 2; size <= n; size <<= 1) {
		for (int stride = size >> 1; stride > 0; stride >>= 1) {
			bitonic_step(a, n, size, stride, threadIdx.x, blockDim.x);
			__syncthreads();
		}
	}
}

__device__ __forceinline__ int pow2_at_least(int n) {
	int p = 1;
	while (p < n) p <<= 1;
	return p;
}

#ifndef SIL_EMU
// Asynchronous copies into shared memory (cp.async, sm_80 and later), for
// the tensor-core scans. The CPU emulator of the tests (cuda/testdata/emu)
// supplies the same functions.
__device__ __forceinline__ u32 smem_u32(const void* p) {
	u32 a;
	asm("{ .reg .u64 t; cvta.to.shared.u64 t, %1; cvt.u32.u64 %0, t; }" : "=r"(a) : "l"(p));
	return a;
}
// cp_async16 copies 16 bytes from global src to shared dst, or zeros them
// when !valid (src must still be a valid address).
__device__ __forceinline__ void cp_async16(void* dst, const void* src, bool valid) {
	int n = valid ? 16 : 0;
	asm volatile("cp.async.cg.shared.global [%0], [%1], 16, %2;" ::"r"(smem_u32(dst)), "l"(src), "r"(n));
}
__device__ __forceinline__ void cp_commit() { asm volatile("cp.async.commit_group;"); }
template <int N>
__device__ __forceinline__ void cp_wait() { asm volatile("cp.async.wait_group %0;" ::"n"(N)); }
#endif
