// matmul_mma.cu: the matrix product of 16-bit operands (f16, or bf16 with
// SIL_IS_BF16) on tensor cores with mma.sync m16n8k16, float32
// accumulators: C = A B^T with A [m, K] and B [n, K], both with the
// shared dimension contiguous (the products of the encoder's layers,
// activations by weights). Each product of two 16-bit values is exact in
// float32, as in matmul.cu; only the order of the additions differs.
//
// A 128 x 128 tile of C a block of 256 threads: 8 warps of 64 x 32 (2
// along m, 4 along n), each 4 x 4 m16n8 blocks. The shared dimension
// moves in stages of BK elements through shared memory, copied by
// cp.async into one buffer while the other is multiplied; rows of a
// stage are padded by 16 bytes, so ldmatrix reads them without bank
// conflicts. The host (cuda/matmul.go) sends a product here only when K,
// the row strides and the pointers keep every 16-byte copy aligned.
//
// Defines: T (f16 or bf16); SIL_IS_BF16 for bf16.

#ifndef SIL_T
#define SIL_T f16
#endif
#define T SIL_T

#include "mma.cuh"

#define MM_BM 128
#define MM_BN 128
#define MM_BK 32                     // elements of the shared dimension a stage
#define MM_RS (MM_BK * 2 + 16)       // bytes of a tile row in shared memory
#define MM_SB ((MM_BM + MM_BN) * MM_RS) // bytes of a stage

// matmul_mma: c[i][j] = sa[i] * sb[j] * sum_k a[i*lda + k] b[j*ldb + k]
// for i < m, j < n; sa, sb may be null (1). K, lda and ldb are multiples
// of 8, a and b 16-byte aligned. Grid (n tiles, m tiles); dynamic shared
// memory 2 * MM_SB bytes.
extern "C" __global__ void __launch_bounds__(256) matmul_mma(
	const T* a, const T* b, float* c, i64 m, i64 n, i64 K, i64 lda, i64 ldb,
	const float* sa, const float* sb)
{
	extern __shared__ __align__(1024) unsigned char smem[];
	int tid = threadIdx.x, lane = tid & 31, warp = tid >> 5;
	int wm = warp >> 2, wn = warp & 3;
	i64 i0 = (i64)blockIdx.y * MM_BM, j0 = (i64)blockIdx.x * MM_BN;
	i64 KT = (K + MM_BK - 1) / MM_BK;

	// stage(kt, slot): the tiles' 16-byte pieces, 2 of A and 2 of B a
	// thread: piece p is row p/4, bytes (p%4)*16 of each tile.
	auto stage = [&](i64 kt, int slot) {
		unsigned char* As = smem + slot * MM_SB;
		unsigned char* Bs = As + MM_BM * MM_RS;
#pragma unroll
		for (int r = 0; r < 2; r++) {
			int p = tid + 256 * r, row = p >> 2, cb = (p & 3) * 16;
			i64 k = kt * MM_BK + cb / 2;
			bool ok = i0 + row < m && k < K;
			cp_async16(As + row * MM_RS + cb, ok ? (const void*)(a + (i0 + row) * lda + k) : (const void*)a, ok);
			ok = j0 + row < n && k < K;
			cp_async16(Bs + row * MM_RS + cb, ok ? (const void*)(b + (j0 + row) * ldb + k) : (const void*)b, ok);
		}
		cp_commit();
	};

	float acc[4][4][4];
#pragma unroll
	for (int mi = 0; mi < 4; mi++)
#pragma unroll
		for (int ni = 0; ni < 4; ni++)
#pragma unroll
			for (int e = 0; e < 4; e++) acc[mi][ni][e] = 0.0f;

	// ldmatrix addresses: A matrix i = lane/8 is rows (i&1)*8.., bytes
	// (i>>1)*16..; B matrix i is rows (i>>1)*8.., bytes (i&1)*16...
	int mat = lane >> 3, r8 = lane & 7;
	int offA = (wm * 64 + (mat & 1) * 8 + r8) * MM_RS + (mat >> 1) * 16;
	int offB = MM_BM * MM_RS + (wn * 32 + (mat >> 1) * 8 + r8) * MM_RS + (mat & 1) * 16;

	if (KT > 0) stage(0, 0);
	for (i64 kt = 0; kt < KT; kt++) {
		int slot = (int)(kt & 1);
		cp_wait<0>();
		__syncthreads(); // stage kt landed; every warp is done with the other buffer
		if (kt + 1 < KT) stage(kt + 1, slot ^ 1);
		const unsigned char* S = smem + slot * MM_SB;
#pragma unroll
		for (int kb = 0; kb < MM_BK * 2; kb += 32) {
			u32 af[4][4];
#pragma unroll
			for (int mi = 0; mi < 4; mi++) ldsm_x4(af[mi], S + offA + mi * 16 * MM_RS + kb);
#pragma unroll
			for (int nj = 0; nj < 2; nj++) {
				u32 bf[4];
				ldsm_x4(bf, S + offB + nj * 16 * MM_RS + kb);
#pragma unroll
				for (int mi = 0; mi < 4; mi++) {
					mma_step(acc[mi][2 * nj], af[mi], bf[0], bf[1]);
					mma_step(acc[mi][2 * nj + 1], af[mi], bf[2], bf[3]);
				}
			}
		}
	}

	// acc[mi][ni][e] is row 16mi + g + 8(e/2), column 8ni + 2(lane%4) + e%2
	// of the warp's 64 x 32 tile.
	int g = lane >> 2, t4 = lane & 3;
#pragma unroll
	for (int mi = 0; mi < 4; mi++)
#pragma unroll
		for (int h = 0; h < 2; h++) {
			i64 i = i0 + wm * 64 + mi * 16 + g + h * 8;
			if (i >= m) continue;
			float fa = sa ? sa[i] : 1.0f;
#pragma unroll
			for (int ni = 0; ni < 4; ni++)
#pragma unroll
				for (int e = 0; e < 2; e++) {
					i64 j = j0 + wn * 32 + ni * 8 + 2 * t4 + e;
					if (j < n) c[i * n + j] = acc[mi][ni][2 * h + e] * fa * (sb ? sb[j] : 1.0f);
				}
		}
}
