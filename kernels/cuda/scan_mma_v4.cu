// scan_mma_v4.cu: the fused search on tensor cores, version 4 (selected
// at run time by SILICA_CUDA_SCAN=v4; scan_mma.cu stays the default until
// v4 has been measured on the device).
//
// A block owns BM (64 or 128) queries and a contiguous part of the stored
// rows, which stream through shared memory in tiles of BN (128 or 256)
// rows, STAGES deep with cp.async, BKB bytes of the shared dimension a
// stage. The 8 warps (BM/64 x 8/(BM/64)) each multiply a 64 x WTN part of
// the BM x BN score tile with mma.sync, fragments loaded by ldmatrix
// (m16n8k16 for f16/bf16, m16n8k8 TF32 for float32: both take 32 bytes of
// the shared dimension a step, so the fragment addresses are the same).
//
// Selection happens in registers, in the epilogue of each tile: every
// thread scales its accumulators and compares each with its query's
// threshold, a float in shared memory (NaN: no threshold yet, everything
// passes; a NaN score always passes and ranks last in the keys). Scores
// that pass are appended as rank keys (prelude.cuh) to the query's buffer
// in global memory (C keys a block and query, an atomicAdd in shared
// memory taking the slot). A query gets at most BN keys a tile, so a
// buffer holding at most C - BN keys at the start of a tile cannot
// overflow; after the tile, a warp cuts every buffer over C - BN back to
// its kk best with a radix select (warp_select_kk) and sets the threshold
// to the kk-th best score. The [m, n] score matrix is never written.
//
// At the end each query's kk best keys of the block (unsorted, EMPTY_KEY
// padded) go to cand; topk_select merges the parts.
//
// Scores are acc * qscale[q] * xscale[r], xscale = 1/max(||x_r||, 1e-12)
// with normB. With SS=1 the kernel sums the squares of every row it
// streams (for normB, and for the TF32 error bound: the largest row norm
// goes to *maxnorm).
//
// With PF=1, at the first stage of each tile the block asks L2 to fetch
// the next tile's rows whole (contiguous memory), so that DRAM serves
// whole rows rather than BKB-byte slices of BN rows.
//
// Defines: T (float, f16, bf16), IS_TF32 for float, IS_BF16 for bf16; SS,
// BM, BN, BKB (64 or 128), STAGES, PF. SIL_EMU builds the kernel for the
// CPU emulator of the tests (cuda/emu_test.go), which supplies the
// primitives written here in PTX.

#ifndef SIL_T
#define SIL_T float
#endif
#define T SIL_T
#ifndef SIL_SS
#define SIL_SS 0
#endif
#define SS SIL_SS
#ifndef SIL_BM
#define SIL_BM 128
#endif
#define BM SIL_BM
#ifndef SIL_BN
#define SIL_BN 256
#endif
#define BN SIL_BN
#ifndef SIL_BKB
#define SIL_BKB 64
#endif
#define BKB SIL_BKB
#ifndef SIL_STAGES
#define SIL_STAGES 4
#endif
#define STAGES SIL_STAGES
#ifndef SIL_PF
#define SIL_PF 0
#endif
#define PF SIL_PF

#define NT 256                 // threads a block
#define WM (BM / 64)           // warps along the queries
#define WN (8 / WM)            // warps along the rows
#define WTN (BN / WN)          // rows of a warp's tile
#define NI (WTN / 8)           // n8 blocks of a warp's tile
#define RS (BKB + 16)          // bytes of a tile row in shared memory (16 of padding: ldmatrix without bank conflicts)
#define ES ((int)sizeof(T))
#define TPR (NT / BN)          // threads summing the squares of one row
#define SCR 64                 // bytes of a block's scratch for small values

#if BM != 64 && BM != 128
#error "BM must be 64 or 128"
#endif
#if BN != 128 && BN != 256
#error "BN must be 128 or 256"
#endif
#if BKB != 64 && BKB != 128
#error "BKB must be 64 or 128"
#endif
#if NI % 2 != 0
#error "a warp's tile must hold an even number of n8 blocks"
#endif

#if defined(SIL_IS_BF16)
#define MMA_TYPE "bf16"
#else
#define MMA_TYPE "f16"
#endif

#ifndef SIL_EMU
// PTX primitives. The emulator of the tests supplies the same functions.
__device__ __forceinline__ u32 smem_u32(const void* p) {
	u32 a;
	asm("{ .reg .u64 t; cvta.to.shared.u64 t, %1; cvt.u32.u64 %0, t; }" : "=r"(a) : "l"(p));
	return a;
}
__device__ __forceinline__ void cp_async16(void* dst, const void* src, bool valid) {
	int n = valid ? 16 : 0;
	asm volatile("cp.async.cg.shared.global [%0], [%1], 16, %2;" ::"r"(smem_u32(dst)), "l"(src), "r"(n));
}
__device__ __forceinline__ void cp_commit() { asm volatile("cp.async.commit_group;"); }
template <int N>
__device__ __forceinline__ void cp_wait() { asm volatile("cp.async.wait_group %0;" ::"n"(N)); }
__device__ __forceinline__ void prefetch_l2(const void* p) { asm volatile("prefetch.global.L2 [%0];" ::"l"(p)); }
// ldsm_x4 loads four 8x8 matrices of 16-bit elements: lane l gives the
// address of row l%8 of matrix l/8 and receives word l%4 of row l/4 of
// each matrix.
__device__ __forceinline__ void ldsm_x4(u32 (&r)[4], const void* p) {
	asm volatile("ldmatrix.sync.aligned.m8n8.x4.shared.b16 {%0,%1,%2,%3}, [%4];"
		: "=r"(r[0]), "=r"(r[1]), "=r"(r[2]), "=r"(r[3]) : "r"(smem_u32(p)));
}
__device__ __forceinline__ u32 to_tf32(u32 f) {
	u32 r;
	asm("cvt.rna.tf32.f32 %0, %1;" : "=r"(r) : "f"(__uint_as_float(f)));
	return r;
}
// mma_step: c += a * b for one m16n8 block and 32 bytes of the shared
// dimension (k16 of f16/bf16, k8 of TF32).
__device__ __forceinline__ void mma_step(float (&c)[4], const u32 (&a)[4], u32 b0, u32 b1) {
#if defined(SIL_IS_TF32)
	asm("mma.sync.aligned.m16n8k8.row.col.f32.tf32.tf32.f32 {%0,%1,%2,%3}, {%4,%5,%6,%7}, {%8,%9}, {%0,%1,%2,%3};"
		: "+f"(c[0]), "+f"(c[1]), "+f"(c[2]), "+f"(c[3])
		: "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b0), "r"(b1));
#else
	asm("mma.sync.aligned.m16n8k16.row.col.f32." MMA_TYPE "." MMA_TYPE ".f32 {%0,%1,%2,%3}, {%4,%5,%6,%7}, {%8,%9}, {%0,%1,%2,%3};"
		: "+f"(c[0]), "+f"(c[1]), "+f"(c[2]), "+f"(c[3])
		: "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b0), "r"(b1));
#endif
}
#if !defined(SIL_IS_TF32)
// half_lo/half_hi: the float32 value of the low or high 16-bit element of
// a word of T.
__device__ __forceinline__ float half_lo(u32 w) { T h; h.x = (unsigned short)(w & 0xffffu); return to_f32(h); }
__device__ __forceinline__ float half_hi(u32 w) { T h; h.x = (unsigned short)(w >> 16); return to_f32(h); }
#endif
#endif

// warp_select_kk keeps the kk best (smallest) of the n >= kk keys of buf
// (global memory) at its front, in no order, and returns the largest
// kept key's high half: the rank of the kk-th best score. A radix select
// over 8-bit digits, most significant first (as topk.cu's select_keys,
// for one warp), with hist the warp's 256 counters in shared memory; it
// stops at the digit whose keys are all taken, and keys are unique (the
// low half is the row), so exactly kk keys are kept.
__device__ u32 warp_select_kk(u64* buf, int n, int kk, u32* hist) {
	int lane = threadIdx.x & 31;
	u64 prefix = 0;
	int krem = kk, shift = 0;
	for (int pass = 0; pass < 8; pass++) {
		int sh = 56 - 8 * pass;
		for (int b = lane; b < 256; b += 32) hist[b] = 0;
		__syncwarp();
		for (int i = lane; i < n; i += 32) {
			u64 key = buf[i];
			if (pass == 0 || (key >> (sh + 8)) == prefix) atomicAdd(&hist[(key >> sh) & 255u], 1u);
		}
		__syncwarp();
		// The digit b where the count reaches krem: lane l owns bins 8l..8l+7.
		u32 h[8];
		u32 s = 0;
#pragma unroll
		for (int j = 0; j < 8; j++) {
			h[j] = hist[8 * lane + j];
			s += h[j];
		}
		u32 incl = s;
#pragma unroll
		for (int o = 1; o < 32; o <<= 1) {
			u32 v = __shfl_up_sync(0xffffffffu, incl, o);
			if (lane >= o) incl += v;
		}
		u32 excl = incl - s;
		bool mine = excl < (u32)krem && (u32)krem <= incl;
		unsigned who = __ballot_sync(0xffffffffu, mine);
		int src = __ffs(who) - 1;
		int b = 0;
		u32 before = 0, hb = 0;
		if (mine) {
			u32 run = excl;
			bool found = false;
#pragma unroll
			for (int j = 0; j < 8; j++) {
				if (!found && run + h[j] >= (u32)krem) {
					found = true;
					b = 8 * lane + j;
					hb = h[j];
					before = run;
				}
				run += h[j];
			}
		}
		b = __shfl_sync(0xffffffffu, b, src);
		hb = __shfl_sync(0xffffffffu, hb, src);
		before = __shfl_sync(0xffffffffu, before, src);
		krem -= (int)before;
		prefix = (prefix << 8) | (u64)b;
		shift = sh;
		__syncwarp();
		if ((int)hb == krem) break;
	}
	// Compact in place: keys whose digits so far are at most the prefix.
	// Every lane reads its key before the ballot, and writes go to slots
	// at or before the ones read, so no key is overwritten unread.
	int kept = 0;
	u32 worst = 0;
	for (int i0 = 0; i0 < n; i0 += 32) {
		int i = i0 + lane;
		u64 key = i < n ? buf[i] : EMPTY_KEY;
		bool keep = i < n && (key >> shift) <= prefix;
		unsigned bal = __ballot_sync(0xffffffffu, keep);
		if (keep) {
			buf[kept + __popc(bal & ((1u << lane) - 1u))] = key;
			worst = max(worst, (u32)(key >> 32));
		}
		kept += __popc(bal);
	}
#pragma unroll
	for (int o = 16; o > 0; o >>= 1) worst = max(worst, __shfl_xor_sync(0xffffffffu, worst, o));
	__syncwarp();
	return worst;
}

// mma_scan_v4: q [m, d], x [n, d] of T, d*sizeof(T) a multiple of 16.
// Grid (m tiles, parts); part p covers rows [p*per, min((p+1)*per, n)),
// per a multiple of BN. wbuf: gridDim.x*gridDim.y*BM*C keys (C >= kk +
// 2*BN... see scan.go); cand [m][parts][kk]. qscale may be null.
// Dynamic shared memory: smemBytes() of scan.go.
extern "C" __global__ void __launch_bounds__(NT, 1) mma_scan_v4(
	const T* q, const T* x, i64 m, i64 n, i64 d, i64 per,
	const float* qscale, int normB, int largest,
	int kk, int C, u64* wbuf, u64* cand, u32* maxnorm)
{
	extern __shared__ __align__(16) unsigned char smem[];
	unsigned char* tiles = smem;                                      // STAGES x (BM + BN) rows of RS bytes
	float* thr_s = (float*)(smem + STAGES * (BM + BN) * RS);          // BM thresholds (NaN: none yet)
	int* cnt_s = (int*)(thr_s + BM);                                  // BM buffer counts
	float* qsc = (float*)(cnt_s + BM);                                // BM query scales
	float* xsc = qsc + BM;                                            // BN row scales of the tile
	u32* hist = (u32*)(xsc + BN);                                     // 8 warps x 256 counters
	u32* scr = hist + 8 * 256;                                        // scratch: [0] the block's largest row norm

	int tid = threadIdx.x, lane = tid & 31, warp = tid >> 5;
	int wm = warp / WN, wn = warp % WN;
	int g = lane >> 2, t4 = lane & 3;
	i64 qbase = (i64)blockIdx.x * BM;
	i64 nbeg = (i64)blockIdx.y * per, nend = min(n, nbeg + per);
	bool lg = largest != 0;
	i64 blk = (i64)blockIdx.y * gridDim.x + blockIdx.x;
	u64* wb = wbuf + blk * BM * (i64)C;
	if (tid < BM) {
		thr_s[tid] = __uint_as_float(0x7fc00000u);
		cnt_s[tid] = 0;
		qsc[tid] = (qscale && qbase + tid < m) ? qscale[qbase + tid] : 1.0f;
	}
	if (tid == 0) scr[0] = 0;

	i64 rowb = d * ES;                         // bytes of a row
	int KT = (int)((rowb + BKB - 1) / BKB);    // stages a tile
	int ntiles = nend > nbeg ? (int)((nend - nbeg + BN - 1) / BN) : 0;
	int total = ntiles * KT;

	// load_stage issues the copies of stage it (tile it/KT, chunk it%KT)
	// into slot it%STAGES; bytes past d or rows past m or nend are zeros.
	auto load_stage = [&](int it) {
		if (it < total) {
			int tile = it / KT, kt = it - tile * KT;
			unsigned char* As = tiles + (it % STAGES) * (BM + BN) * RS;
			i64 colb = (i64)kt * BKB;
			i64 r0 = nbeg + (i64)tile * BN;
			// Chunk j of this thread: row lr + j*RPP, bytes cb.. of the stage.
			constexpr int CPR = BKB / 16, RPP = NT / CPR;
			static_assert(BM % RPP == 0 && BN % RPP == 0, "whole rows a pass");
			int lr = tid / CPR, cb = (tid % CPR) * 16;
			bool colok = colb + cb < rowb;
			const unsigned char* qp = (const unsigned char*)q + (qbase + lr) * rowb + colb + cb;
			const unsigned char* xp = (const unsigned char*)x + (r0 + lr) * rowb + colb + cb;
#pragma unroll
			for (int j = 0; j < BM / RPP; j++) {
				bool ok = colok && qbase + lr + j * RPP < m;
				cp_async16(As + (lr + j * RPP) * RS + cb, ok ? qp + j * RPP * rowb : (const unsigned char*)q, ok);
			}
#pragma unroll
			for (int j = 0; j < BN / RPP; j++) {
				bool ok = colok && r0 + lr + j * RPP < nend;
				cp_async16(As + (BM + lr + j * RPP) * RS + cb, ok ? xp + j * RPP * rowb : (const unsigned char*)x, ok);
			}
#if PF
			if (kt == 0 && tile + 1 < ntiles) {
				i64 p0 = (r0 + BN) * rowb, p1 = min(nend, r0 + 2 * BN) * rowb;
				for (i64 p = p0 + (i64)tid * 128; p < p1; p += NT * 128) prefetch_l2((const unsigned char*)x + p);
			}
#endif
		}
		cp_commit();
	};

	float acc[4][NI][4];
	float ss = 0.0f;
	for (int s = 0; s < STAGES - 1; s++) load_stage(s);

	for (int it = 0; it < total; it++) {
		int tile = it / KT, kt = it - tile * KT;
		if (kt == 0) {
#pragma unroll
			for (int mi = 0; mi < 4; mi++)
#pragma unroll
				for (int ni = 0; ni < NI; ni++)
#pragma unroll
					for (int e = 0; e < 4; e++) acc[mi][ni][e] = 0.0f;
			ss = 0.0f;
		}
		cp_wait<STAGES - 2>();
		__syncthreads();
		load_stage(it + STAGES - 1);
		const unsigned char* As = tiles + (it % STAGES) * (BM + BN) * RS;
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
		if (SS) {
			// Thread tid sums its 1/TPR of row tid/TPR of this stage.
			const unsigned char* p = Bs + (tid / TPR) * RS + (tid % TPR) * (BKB / TPR);
#pragma unroll
			for (int c = 0; c < BKB / TPR; c += 16) {
				uint4 w = *(const uint4*)(p + c);
				u32 ws[4] = {w.x, w.y, w.z, w.w};
#pragma unroll
				for (int i = 0; i < 4; i++) {
#if defined(SIL_IS_TF32)
					float v = __uint_as_float(ws[i]);
					ss = fmaf(v, v, ss);
#else
					float lo = half_lo(ws[i]), hi = half_hi(ws[i]);
					ss = fmaf(lo, lo, ss);
					ss = fmaf(hi, hi, ss);
#endif
				}
			}
		}
		if (kt != KT - 1) continue;

		// Epilogue of a tile. (1) Row scales of the tile.
		i64 r0 = nbeg + (i64)tile * BN;
		if (SS) {
#pragma unroll
			for (int o = 1; o < TPR; o <<= 1) ss += __shfl_xor_sync(0xffffffffu, ss, o);
			if (tid % TPR == 0) {
				int r = tid / TPR;
				float nr = sqrtf(ss);
				xsc[r] = normB ? 1.0f / fmaxf(nr, 1e-12f) : 1.0f;
				if (r0 + r < nend) atomicMax(&scr[0], __float_as_uint(nr));
			}
		}
		__syncthreads();
		// (2) Filter the accumulators against the thresholds; append the
		// keys that pass. Accumulator e of block (mi, ni) is query row
		// mi*16 + (e>>1)*8 + g, stored row ni*8 + 2*t4 + (e&1), of the
		// warp's tile.
#pragma unroll
		for (int mi = 0; mi < 4; mi++)
#pragma unroll
			for (int hh = 0; hh < 2; hh++) {
				int ql = wm * 64 + mi * 16 + hh * 8 + g;
				if (qbase + ql >= m) continue;
				float thr = thr_s[ql];
				float qf = qsc[ql];
#pragma unroll
				for (int ni = 0; ni < NI; ni++)
#pragma unroll
					for (int e = 0; e < 2; e++) {
						int c = wn * WTN + ni * 8 + 2 * t4 + e;
						float s = acc[mi][ni][hh * 2 + e] * qf;
						if (SS) s *= xsc[c];
						bool pass = lg ? !(s < thr) : !(s > thr);
						if (pass && r0 + c < nend) {
							int pos = atomicAdd(&cnt_s[ql], 1);
							wb[ql * (i64)C + pos] = make_key(s, lg, (u32)(r0 + c));
						}
					}
			}
		__syncthreads();
		// (3) Cut back every buffer that the next tile could overflow.
		for (int ql = warp; ql < BM; ql += 8) {
			int cnt = cnt_s[ql];
			if (cnt <= C - BN) continue;
			u32 w = warp_select_kk(wb + ql * (i64)C, cnt, kk, hist + warp * 256);
			if (lane == 0) {
				thr_s[ql] = unrank32(w, lg);
				cnt_s[ql] = kk;
			}
		}
		__syncthreads();
	}
	cp_wait<0>();
	__syncthreads();
	// Each query's kk best of the block, EMPTY_KEY padded.
	for (int ql = warp; ql < BM; ql += 8) {
		i64 qi = qbase + ql;
		if (qi >= m) break;
		int cnt = cnt_s[ql];
		u64* buf = wb + ql * (i64)C;
		if (cnt > kk) {
			warp_select_kk(buf, cnt, kk, hist + warp * 256);
			cnt = kk;
		}
		u64* co = cand + (qi * gridDim.y + blockIdx.y) * kk;
		for (int u = lane; u < kk; u += 32) co[u] = u < cnt ? buf[u] : EMPTY_KEY;
	}
	if (SS && tid == 0) atomicMax(maxnorm, scr[0]);
}
