// matmul_skinny.cu: the product of a few 16-bit rows a (queries, at most
// 8 * SK_QB) by many 16-bit rows b, on tensor cores with mma.sync
// m16n8k16 and float32 accumulators: C = A B^T with A [m, K] and B [n, K],
// the shared dimension contiguous, C [m, n]. It is matmul_mma.cu's
// product for the small m of a large-k search's scores (a few queries
// against every stored row), where that kernel's 128 x 128 tiles leave
// most of each tile empty and its two shallow stages keep too few bytes
// of b in flight to stream it at the memory's rate.
//
// The rows of b stream from global memory straight into the operand
// registers: a warp takes 16 rows at a time, each lane loading 16 bytes
// of row g and of row g + 8 (g = lane / 4) for every 32 elements of the
// shared dimension, SK_U such pieces ahead. The queries sit in shared
// memory, each lane reading the 16 bytes of query g at the same offset.
// mma.sync then sees the 32 elements in its own order (element 8t + i of
// the piece as its column 2t + i for i < 2, 2t + 8 + i - 2 for i < 4, and
// the same for the second k16 step with i - 4): the same permutation for
// both operands, so each sum holds every product once. Each product of
// two 16-bit values is exact in float32, as in matmul_mma.cu; only the
// order of the additions differs.
//
// Defines: T (f16 or bf16); SIL_IS_BF16 for bf16; SK_QB (query blocks of
// 8: 1, 2, 4 or 8); SK_U (pieces of 32 elements a lane loads ahead);
// SK_MINB (blocks an SM, for the register budget).

#ifndef SIL_T
#define SIL_T f16
#endif
#define T SIL_T
#ifndef SIL_SK_QB
#define SIL_SK_QB 1
#endif
#ifndef SIL_SK_U
#define SIL_SK_U 4
#endif
#ifndef SIL_SK_MINB
#define SIL_SK_MINB 4
#endif
#define SK_QB SIL_SK_QB
#define SK_U SIL_SK_U

#include "mma.cuh"

// skinnyStride is the bytes of a query in shared memory for K32 pieces of
// 32 elements: 64 a piece, plus 64 when that is a multiple of 128, so that
// consecutive queries start 16 banks apart and the 8 lanes of each phase
// of a 16-byte shared load (queries g and g + 1, four pieces each) hit
// distinct banks.
__device__ __forceinline__ int skinnyStride(i64 K32) { return (int)(K32 * 64 + ((K32 & 1) ? 0 : 64)); }

// matmul_skinny: c[i][j] = sa[i] * sb[j] * sum_k a[i*lda + k] b[j*ldb + k]
// for i < m <= 8 * SK_QB, j < n; sa, sb may be null (1). K, lda and ldb
// are multiples of 8, a and b 16-byte aligned. 256 threads a block, any
// grid (the warps take the groups of 16 rows of b in turn); dynamic
// shared memory 8 * SK_QB * skinnyStride(ceil(K / 32)) bytes.
extern "C" __global__ void __launch_bounds__(256, SIL_SK_MINB) matmul_skinny(
	const T* a, const T* b, float* c, i64 m, i64 n, i64 K, i64 lda, i64 ldb,
	const float* sa, const float* sb)
{
	extern __shared__ __align__(16) unsigned char smem[];
	int tid = threadIdx.x, lane = tid & 31, warp = tid >> 5;
	int g = lane >> 2, t4 = lane & 3;
	i64 K32 = (K + 31) / 32;
	int qs = skinnyStride(K32);

	const uint4 z4 = {0u, 0u, 0u, 0u};
	// The queries, zero past m and past K.
	i64 pieces = (i64)8 * SK_QB * K32 * 4;
	for (i64 p = tid; p < pieces; p += 256) {
		i64 qi = p / (K32 * 4), e = (p % (K32 * 4)) * 8;
		uint4 v = z4;
		if (qi < m && e < K) v = *(const uint4*)(a + qi * lda + e);
		*(uint4*)(smem + qi * qs + e * 2) = v;
	}
	__syncthreads();

	const unsigned char* qrow = smem + g * qs + t4 * 16;
	i64 groups = (n + 15) / 16;
	for (i64 gi = (i64)blockIdx.x * 8 + warp; gi < groups; gi += (i64)gridDim.x * 8) {
		i64 r0 = gi * 16 + g, r1 = r0 + 8;
		const T* p0 = b + (r0 < n ? r0 : 0) * ldb + t4 * 8;
		const T* p1 = b + (r1 < n ? r1 : 0) * ldb + t4 * 8;
		bool ok0 = r0 < n, ok1 = r1 < n;
		float acc[SK_QB][4];
#pragma unroll
		for (int qb = 0; qb < SK_QB; qb++)
#pragma unroll
			for (int e = 0; e < 4; e++) acc[qb][e] = 0.0f;
		for (i64 c0 = 0; c0 < K32; c0 += SK_U) {
			uint4 x[SK_U], y[SK_U];
#pragma unroll
			for (int u = 0; u < SK_U; u++) {
				i64 e = (c0 + u) * 32 + t4 * 8;
				bool in = e < K; // past the last piece too
				x[u] = in && ok0 ? *(const uint4*)(p0 + (c0 + u) * 32) : z4;
				y[u] = in && ok1 ? *(const uint4*)(p1 + (c0 + u) * 32) : z4;
			}
#pragma unroll
			for (int u = 0; u < SK_U; u++) {
				if (c0 + u >= K32) break;
				u32 a0[4] = {x[u].x, y[u].x, x[u].y, y[u].y};
				u32 a1[4] = {x[u].z, y[u].z, x[u].w, y[u].w};
#pragma unroll
				for (int qb = 0; qb < SK_QB; qb++) {
					uint4 q = *(const uint4*)(qrow + qb * 8 * qs + (c0 + u) * 64);
					mma_step(acc[qb], a0, q.x, q.y);
					mma_step(acc[qb], a1, q.z, q.w);
				}
			}
		}
		// acc[qb][e] is row r0 (e < 2) or r1 of b, query 8qb + 2t4 + e%2.
#pragma unroll
		for (int qb = 0; qb < SK_QB; qb++)
#pragma unroll
			for (int e = 0; e < 4; e++) {
				i64 i = qb * 8 + 2 * t4 + (e & 1), j = e < 2 ? r0 : r1;
				if (i < m && j < n) c[i * n + j] = acc[qb][e] * (sa ? sa[i] : 1.0f) * (sb ? sb[j] : 1.0f);
			}
	}
}
