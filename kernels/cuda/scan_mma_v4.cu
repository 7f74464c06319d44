// scan_mma_v4.cu: the fused search on tensor cores with mma.sync, version
// 4, for any GPU with tensor cores (cuda/scan_v4.go; on Hopper the default
// is version 5, scan_wgmma_v5.cu). The tiling, the copies of the stages
// and the selection are scan_tc.cuh's.
//
// The 8 warps of a block (BM/64 x 8/(BM/64)) each multiply a 64 x WTN part
// of the BM x BN score tile with mma.sync, fragments loaded by ldmatrix
// (m16n8k16 for f16/bf16, m16n8k8 TF32 for float32: both take 32 bytes of
// the shared dimension a step, so the fragment addresses are the same).
// TF32 operands are rounded (cvt.rna) before the product. Tile rows in
// shared memory are padded by 16 bytes: ldmatrix without bank conflicts.
// MINB caps the registers for that many blocks an SM.
//
// Defines: scan_tc.cuh's.

// The tiles' layout (scan_tc.cuh uses it): rows of BKB bytes padded by 16.
#define RS (BKB + 16)          // bytes of a tile row in shared memory
#define SB ((BM + BN) * RS)    // bytes of a stage
#define TOFF(r, cb) ((r) * RS + (cb))

#include "scan_tc.cuh"

#define WM (BM / 64)           // warps along the queries
#define WN (8 / WM)            // warps along the rows
#define WTN (BN / WN)          // rows of a warp's tile
#define NI (WTN / 8)           // n8 blocks of a warp's tile

#if NI % 2 != 0
#error "a warp's tile must hold an even number of n8 blocks"
#endif
#include "mma.cuh"

// mma_scan_v4: q [m, d], x [n, d] of T, d*sizeof(T) a multiple of 16.
// Grid (m tiles, parts); part p covers rows [p*per, min((p+1)*per, n)),
// per a multiple of BN. wbuf: gridDim.x*gridDim.y*BM*C keys (C >= kk +
// 2*BN: bufKeys of cuda/scan_v4.go); cand [m][parts][kk]. qscale may be
// null. Row r of the scan is row r*xstep of x (1: every row; a sample
// otherwise, n rows of it). With thr0 (not null) the scan is seeded
// (ScanSeed of scan_tc.cuh): cand is then the lists [m][L], lcnt [m] their
// counts (zeroed before), and kk unused. Dynamic shared memory: smem() of
// cuda/scan_v4.go.
extern "C" __global__ void __launch_bounds__(NT, MINB) mma_scan_v4(
	const T* q, const T* x, i64 m, i64 n, i64 d, i64 per,
	const float* qscale, int normB, int largest,
	int kk, int C, u64* wbuf, u64* cand, u32* maxnorm, const u32* bits,
	i64 xstep, const float* thr0, i64 thr0s, u32* lcnt, i64 L)
{
	extern __shared__ __align__(1024) unsigned char smem[];
	unsigned char* tiles = smem; // STAGES x (BM + BN) rows, SB bytes a stage
	ScanBlock blk(smem + STAGES * SB, m, n, per, qscale, normB, largest, kk, C, wbuf, bits,
	              ScanSeed{xstep, thr0, thr0s, lcnt, cand, L});
	if (blk.unseeded()) return;
	int tid = threadIdx.x, lane = tid & 31, warp = tid >> 5;
	int wm = warp / WN, wn = warp % WN;
	int g = lane >> 2, t4 = lane & 3;
	ScanLoader load(q, x, m, d, xstep, blk.qbase, blk.nbeg, blk.nend, tid / ScanLoader::CPR, (tid % ScanLoader::CPR) * 16);
	const int KT = load.KT;

	float ss = 0.0f;
	float acc[4][NI][4];
	constexpr int DIST = STAGES - 1; // stages loaded ahead: the slot refilled was read last stage
	for (int s = 0; s < DIST; s++) load.next(tiles);

	for (int it = 0, tile = 0, kt = 0, slot = 0; it < load.total; it++, kt++, slot = slot + 1 == STAGES ? 0 : slot + 1) {
		if (kt == KT) {
			kt = 0;
			tile++;
		}
		if (kt == 0) {
			ss = 0.0f;
#pragma unroll
			for (int mi = 0; mi < 4; mi++)
#pragma unroll
				for (int ni = 0; ni < NI; ni++)
#pragma unroll
					for (int e = 0; e < 4; e++) acc[mi][ni][e] = 0.0f;
		}
		cp_wait<DIST - 1>();
		__syncthreads();
		load.next(tiles); // stage it + DIST
		const unsigned char* As = tiles + slot * SB;
		const unsigned char* Bs = As + BM * RS;
		// ldmatrix addresses: A matrix i = lane/8 is rows (i&1)*8.., bytes
		// (i>>1)*16..; B matrix i is rows (i>>1)*8.., bytes (i&1)*16...
		int mat = lane >> 3, r8 = lane & 7;
		const unsigned char* pa = As + (wm * 64 + (mat & 1) * 8 + r8) * RS + (mat >> 1) * 16;
		const unsigned char* pb = Bs + (wn * WTN + (mat >> 1) * 8 + r8) * RS + (mat & 1) * 16;
#pragma unroll
		for (int kb = 0; kb < BKB; kb += 32) {
			u32 a[4][4];
#pragma unroll
			for (int mi = 0; mi < 4; mi++) {
				ldsm_x4(a[mi], pa + mi * 16 * RS + kb);
#if defined(SIL_IS_TF32)
#pragma unroll
				for (int e = 0; e < 4; e++) a[mi][e] = to_tf32(a[mi][e]);
#endif
			}
			// Two n8 blocks of B at a time: (b[0], b[1]) and (b[2], b[3]).
#pragma unroll
			for (int nj = 0; nj < NI / 2; nj++) {
				u32 b[4];
				ldsm_x4(b, pb + nj * 16 * RS + kb);
#if defined(SIL_IS_TF32)
#pragma unroll
				for (int e = 0; e < 4; e++) b[e] = to_tf32(b[e]);
#endif
#pragma unroll
				for (int mi = 0; mi < 4; mi++) {
					mma_step(acc[mi][2 * nj], a[mi], b[0], b[1]);
					mma_step(acc[mi][2 * nj + 1], a[mi], b[2], b[3]);
				}
			}
		}
		if (SS) ss = blk.sum_squares(Bs, ss);
		if (kt != KT - 1) continue;

		// Epilogue of a tile: row scales, then the filter. Accumulator e of
		// block (mi, ni) is query row mi*16 + (e>>1)*8 + g, stored row
		// ni*8 + 2*t4 + (e&1), of the warp's tile.
		i64 r0 = blk.nbeg + (i64)tile * BN;
		blk.row_scales(ss, r0);
#pragma unroll
		for (int mi = 0; mi < 4; mi++)
#pragma unroll
			for (int hh = 0; hh < 2; hh++) {
				int ql = wm * 64 + mi * 16 + hh * 8 + g;
				if (blk.qbase + ql >= m) continue;
				float thr = blk.thr_s[ql];
				float qf = blk.qsc[ql];
#pragma unroll
				for (int ni = 0; ni < NI; ni++)
#pragma unroll
					for (int e = 0; e < 2; e++)
						blk.offer(acc[mi][ni][hh * 2 + e], ql, qf, thr, wn * WTN + ni * 8 + 2 * t4 + e, r0, true);
			}
		__syncthreads();
		blk.cut_back();
	}
	cp_wait<0>();
	__syncthreads();
	blk.finish(cand, maxnorm);
}
