// scan_mma_v4.cu: the fused search on tensor cores, versions 4 (mma.sync,
// any GPU with tensor cores) and 5 (WG=1: wgmma, Hopper), the default
// scans (cuda/scan_v4.go; SILICA_CUDA_SCAN=v3 selects scan_mma.cu).
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
// to the kk-th best score (also the first time a buffer holds kk keys).
// The [m, n] score matrix is never written.
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
// With WG=1 (version 5, sm_90a only) the two warpgroups of the block
// multiply with wgmma instead: the tensor cores read both tiles straight
// from shared memory (laid out as wg_off says, no padding, or with SWZ=1
// as wg_off_swz says, swizzled: conflict-free for the tensor cores, the
// default) and run asynchronously, one stage's products in flight while
// the next stage is issued, so the stages are prefetched STAGES-2 ahead.
// Warpgroup w owns 64 queries by BN rows (BM 128) or 64 queries by BN/2
// rows (BM 64). TF32 operands are truncated, not rounded, by wgmma
// (measured, cuda/results/run6_wgmma_probe.log): the host's error bound
// says so. MINB caps the registers for that many blocks an SM.
//
// Defines: T (float, f16, bf16), IS_TF32 for float, IS_BF16 for bf16; SS,
// BM, BN, BKB (64 or 128), STAGES, PF, WG, SWZ, MINB. SIL_EMU builds the kernel for the
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
#ifndef SIL_WG
#define SIL_WG 0
#endif
#define WG SIL_WG
#ifndef SIL_SWZ
#define SIL_SWZ 0
#endif
#define SWZ SIL_SWZ
#ifndef SIL_MINB
#define SIL_MINB 1
#endif
#define MINB SIL_MINB          // blocks an SM the registers are capped for

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

#if WG
#define WGM (BM / 64)          // warpgroups along the queries
#define WGN (2 / WGM)          // warpgroups along the rows
#define WGNR (BN / WGN)        // rows of a warpgroup's tile: the N of its wgmma
#define NACC (WGNR / 2)        // accumulators a thread
#define SB ((BM + BN) * BKB)   // bytes of a stage
#if SWZ
#define TOFF(r, cb) wg_off_swz((r), (cb) / 16, BKB)
#define WG_STEP 32             // bytes the descriptor moves a k step
#define WG_LBO 16              // unused by swizzled K-major layouts
#define WG_LAYOUT (BKB == 128 ? 1 : 2) // 128- or 64-byte swizzle
#else
#define TOFF(r, cb) wg_off((r), (cb) / 16, BKB)
#define WG_STEP 256
#define WG_LBO 128
#define WG_LAYOUT 0
#endif
#if WGNR != 64 && WGNR != 128 && WGNR != 256
#error "WG needs BN/(2/(BM/64)) of 64, 128 or 256 rows a warpgroup"
#endif
#if STAGES < 3
#error "WG needs STAGES >= 3 (one stage of products in flight)"
#endif
#else
#define SB ((BM + BN) * RS)
#define TOFF(r, cb) ((r) * RS + (cb))
#endif
#if defined(SIL_IS_BF16)
#define MMA_TYPE "bf16"
#else
#define MMA_TYPE "f16"
#endif

// ---- wgmma (sm_90a) helpers ----
//
// Tiles in shared memory for wgmma, K-major without swizzle: the tensor
// core reads "core matrices" of 8 rows x 16 bytes, 128 contiguous bytes.
// Row r, 16-byte chunk c of a stage of BKB bytes lives at
// (r/8)*(BKB*8) + c*128 + (r%8)*16: the core matrices of an 8-row group
// side by side along K (leading byte offset 128), the groups BKB*8 bytes
// apart (stride byte offset).
__device__ __forceinline__ u32 wg_off(int r, int c, int bkb) { return (u32)((r >> 3) * (bkb * 8) + c * 128 + (r & 7) * 16); }

// wg_off_swz (SWZ=1) is the swizzled layout instead: each row's BKB bytes
// whole (8-row atoms of BKB*8 bytes), its 16-byte chunk c stored at
// chunk c ^ (r%8) (128-byte rows) or c ^ ((r%8)/2) (64-byte rows), the
// XOR the tensor core applies to the address bits; the tiles must start
// at a multiple of 1024 bytes.
__device__ __forceinline__ u32 wg_off_swz(int r, int c, int bkb) {
	int x = bkb == 128 ? (r & 7) : ((r & 7) >> 1);
	return (u32)((r >> 3) * (bkb * 8) + (r & 7) * bkb + ((c ^ x) << 4));
}

// wg_desc: the matrix descriptor of a tile at shared address saddr (PTX
// ISA, "Matrix Descriptor Format": start address, leading and stride byte
// offsets, each >> 4; layout type: 0 no swizzle, 1 128-byte, 2 64-byte).
__device__ __forceinline__ u64 wg_desc(u32 saddr, u32 lbo, u32 sbo, u32 layout = 0) {
	return (u64)((saddr & 0x3FFFFu) >> 4) | ((u64)((lbo & 0x3FFFFu) >> 4) << 16) | ((u64)((sbo & 0x3FFFFu) >> 4) << 32) |
	       ((u64)layout << 62);
}

#ifndef SIL_EMU
// PTX primitives (cp.async's are in the prelude). The emulator of the
// tests supplies the same functions.
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

// ---- wgmma (sm_90a) primitives ----
__device__ __forceinline__ void wg_fence() { asm volatile("wgmma.fence.sync.aligned;" ::: "memory"); }
__device__ __forceinline__ void wg_commit() { asm volatile("wgmma.commit_group.sync.aligned;" ::: "memory"); }
template <int N>
__device__ __forceinline__ void wg_wait() { asm volatile("wgmma.wait_group.sync.aligned %0;" ::"n"(N) : "memory"); }
// wg_keep pins the accumulators: the compiler may not move their reads
// or writes across it (after wg_wait, before wg_fence).
template <int R>
__device__ __forceinline__ void wg_keep(float (&d)[R]) {
#pragma unroll
	for (int i = 0; i < R; i++) asm volatile("" : "+f"(d[i])::"memory");
}

#define WG_A8(i) "+f"(d[i]), "+f"(d[i + 1]), "+f"(d[i + 2]), "+f"(d[i + 3]), "+f"(d[i + 4]), "+f"(d[i + 5]), "+f"(d[i + 6]), "+f"(d[i + 7])
#define WG_A64(i) WG_A8(i), WG_A8(i + 8), WG_A8(i + 16), WG_A8(i + 24), WG_A8(i + 32), WG_A8(i + 40), WG_A8(i + 48), WG_A8(i + 56)
#if defined(SIL_IS_TF32)
#define WG_SHAPE_K "k8.f32.tf32.tf32"
#define WG_TAIL " p, 1, 1;\n}\n"
#elif defined(SIL_IS_BF16)
#define WG_SHAPE_K "k16.f32.bf16.bf16"
#define WG_TAIL " p, 1, 1, 0, 0;\n}\n"
#else
#define WG_SHAPE_K "k16.f32.f16.f16"
#define WG_TAIL " p, 1, 1, 0, 0;\n}\n"
#endif

// wg_mma: d (+)= A * B^T for one 32-byte step of K: A 64 rows, B N rows,
// both K-major, from their descriptors; scale 0 overwrites d. Thread t of
// the warpgroup holds d[4i+e]: row 16*(t/32) + (t%32)/4 + 8*(e/2), column
// 8*i + 2*(t%4) + e%2.
__device__ __forceinline__ void wg_mma(float (&d)[128], u64 da, u64 db, int scale) {
	asm volatile("{\n.reg .pred p;\nsetp.ne.b32 p, %130, 0;\n"
		"wgmma.mma_async.sync.aligned.m64n256" WG_SHAPE_K " {%0, %1, %2, %3, %4, %5, %6, %7, %8, %9, %10, %11, %12, %13, %14, %15, %16, %17, %18, %19, %20, %21, %22, %23, %24, %25, %26, %27, %28, %29, %30, %31, %32, %33, %34, %35, %36, %37, %38, %39, %40, %41, %42, %43, %44, %45, %46, %47, %48, %49, %50, %51, %52, %53, %54, %55, %56, %57, %58, %59, %60, %61, %62, %63, %64, %65, %66, %67, %68, %69, %70, %71, %72, %73, %74, %75, %76, %77, %78, %79, %80, %81, %82, %83, %84, %85, %86, %87, %88, %89, %90, %91, %92, %93, %94, %95, %96, %97, %98, %99, %100, %101, %102, %103, %104, %105, %106, %107, %108, %109, %110, %111, %112, %113, %114, %115, %116, %117, %118, %119, %120, %121, %122, %123, %124, %125, %126, %127}, %128, %129," WG_TAIL
		: WG_A64(0), WG_A64(64) : "l"(da), "l"(db), "r"(scale));
}
__device__ __forceinline__ void wg_mma(float (&d)[64], u64 da, u64 db, int scale) {
	asm volatile("{\n.reg .pred p;\nsetp.ne.b32 p, %66, 0;\n"
		"wgmma.mma_async.sync.aligned.m64n128" WG_SHAPE_K " {%0, %1, %2, %3, %4, %5, %6, %7, %8, %9, %10, %11, %12, %13, %14, %15, %16, %17, %18, %19, %20, %21, %22, %23, %24, %25, %26, %27, %28, %29, %30, %31, %32, %33, %34, %35, %36, %37, %38, %39, %40, %41, %42, %43, %44, %45, %46, %47, %48, %49, %50, %51, %52, %53, %54, %55, %56, %57, %58, %59, %60, %61, %62, %63}, %64, %65," WG_TAIL
		: WG_A64(0) : "l"(da), "l"(db), "r"(scale));
}
__device__ __forceinline__ void wg_mma(float (&d)[32], u64 da, u64 db, int scale) {
	asm volatile("{\n.reg .pred p;\nsetp.ne.b32 p, %34, 0;\n"
		"wgmma.mma_async.sync.aligned.m64n64" WG_SHAPE_K " {%0, %1, %2, %3, %4, %5, %6, %7, %8, %9, %10, %11, %12, %13, %14, %15, %16, %17, %18, %19, %20, %21, %22, %23, %24, %25, %26, %27, %28, %29, %30, %31}, %32, %33," WG_TAIL
		: WG_A8(0), WG_A8(8), WG_A8(16), WG_A8(24) : "l"(da), "l"(db), "r"(scale));
}
// ---- end of the wgmma helpers ----
#endif

// warp_select_kk keeps the kk best (smallest) of the n >= kk keys of buf
// (global memory) at its front, in no order, and returns the largest
// kept key's high half: the rank of the kk-th best score. A radix select
// over 8-bit digits, most significant first (as topk.cu's select_keys,
// for one warp), with hist the warp's 256 counters in shared memory; it
// stops at the digit whose keys are all taken, and keys are unique (the
// low half is the row), so exactly kk keys are kept.
__device__ __forceinline__ u32 warp_select_kk(u64* buf, int n, int kk, u32* hist) {
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
extern "C" __global__ void __launch_bounds__(NT, MINB) mma_scan_v4(
	const T* q, const T* x, i64 m, i64 n, i64 d, i64 per,
	const float* qscale, int normB, int largest,
	int kk, int C, u64* wbuf, u64* cand, u32* maxnorm)
{
	extern __shared__ __align__(1024) unsigned char smem[];
	unsigned char* tiles = smem;                                      // STAGES x (BM + BN) rows, SB bytes a stage
	float* thr_s = (float*)(smem + STAGES * SB);                      // BM thresholds (NaN: none yet)
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

	// load_stage issues the copies of the next stage (tile it/KT, chunk
	// it%KT, for it = 0, 1, ... in order) into slot it%STAGES; bytes past d
	// or rows past m or nend are zeros. Its position advances by
	// increments: no division a stage.
	constexpr int CPR = BKB / 16, RPP = NT / CPR;
	static_assert(BM % RPP == 0 && BN % RPP == 0, "whole rows a pass");
#if WG && !SWZ
	// Eight threads in a row fill one core matrix (128 contiguous bytes).
	const int lr = ((tid >> 3) / CPR) * 8 + (tid & 7), cb = ((tid >> 3) % CPR) * 16;
#else
	const int lr = tid / CPR, cb = (tid % CPR) * 16;
#endif
	int l_it = 0, l_kt = 0, l_slot = 0, l_tile = 0;
	i64 l_colb = 0, l_r0 = nbeg;
	const unsigned char* l_qp = (const unsigned char*)q + (qbase + lr) * rowb + cb;
	const unsigned char* l_xp = (const unsigned char*)x + (nbeg + lr) * rowb + cb;
	auto load_stage = [&]() {
		if (l_it < total) {
			unsigned char* As = tiles + l_slot * SB;
			bool colok = l_colb + cb < rowb;
#pragma unroll
			for (int j = 0; j < BM / RPP; j++) {
				bool ok = colok && qbase + lr + j * RPP < m;
				cp_async16(As + TOFF(lr + j * RPP, cb), ok ? l_qp + j * RPP * rowb : (const unsigned char*)q, ok);
			}
#pragma unroll
			for (int j = 0; j < BN / RPP; j++) {
				bool ok = colok && l_r0 + lr + j * RPP < nend;
				cp_async16(As + TOFF(BM + lr + j * RPP, cb), ok ? l_xp + j * RPP * rowb : (const unsigned char*)x, ok);
			}
#if PF
			if (l_kt == 0 && l_tile + 1 < ntiles) {
				i64 p0 = (l_r0 + BN) * rowb, p1 = min(nend, l_r0 + 2 * BN) * rowb;
				for (i64 p = p0 + (i64)tid * 128; p < p1; p += NT * 128) prefetch_l2((const unsigned char*)x + p);
			}
#endif
		}
		cp_commit();
		l_it++;
		if (++l_slot == STAGES) l_slot = 0;
		l_qp += BKB;
		l_xp += BKB;
		l_colb += BKB;
		if (++l_kt == KT) { // next tile: back to the row's start, BN rows on
			l_kt = 0;
			l_tile++;
			l_qp -= l_colb;
			l_xp += BN * rowb - l_colb;
			l_r0 += BN;
			l_colb = 0;
		}
	};

	float ss = 0.0f;
#if WG
	// Warpgroup wg multiplies queries wgm*64.. by rows wgn*WGNR.. of a tile.
	int wg = warp >> 2, wgm = wg / WGN, wgn = wg % WGN;
	float acc[NACC];
	constexpr int DIST = STAGES - 2; // stages loaded ahead: the slot refilled was read two stages ago
#else
	float acc[4][NI][4];
	constexpr int DIST = STAGES - 1; // stages loaded ahead: the slot refilled was read last stage
#endif
	for (int s = 0; s < DIST; s++) load_stage();
#if WG
	const u32 sbase = smem_u32(tiles);
#endif

	for (int it = 0, tile = 0, kt = 0, slot = 0; it < total; it++, kt++, slot = slot + 1 == STAGES ? 0 : slot + 1) {
		if (kt == KT) {
			kt = 0;
			tile++;
		}
		if (kt == 0) {
			ss = 0.0f;
#if !WG
#pragma unroll
			for (int mi = 0; mi < 4; mi++)
#pragma unroll
				for (int ni = 0; ni < NI; ni++)
#pragma unroll
					for (int e = 0; e < 4; e++) acc[mi][ni][e] = 0.0f;
#endif
		}
		// (With WG, cp.async writes need no proxy fence before wgmma reads
		// them, as in CUTLASS's cp.async wgmma mainloop; a fence.proxy.async
		// here, MEMBAR.ALL.CTA in SASS, made v5 wait for every copy in
		// flight.)
		cp_wait<DIST - 1>();
		__syncthreads();
		load_stage(); // stage it + DIST
#if WG
		const unsigned char* Bs = tiles + slot * SB + BM * BKB;
		u32 st = sbase + (u32)(slot * SB);
		u32 a0 = st + (u32)(wgm * 64 * BKB), b0 = st + (u32)((BM + wgn * WGNR) * BKB);
		wg_fence();
#pragma unroll
		for (int kb = 0; kb < BKB / 32; kb++)
			wg_mma(acc, wg_desc(a0 + kb * WG_STEP, WG_LBO, BKB * 8, WG_LAYOUT), wg_desc(b0 + kb * WG_STEP, WG_LBO, BKB * 8, WG_LAYOUT),
			       (kt | kb) != 0);
		wg_commit();
#else
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
#endif
		if (SS) {
			// Thread tid sums its 1/TPR of row tid/TPR of this stage.
			const int sr = tid / TPR, sc = (tid % TPR) * (BKB / TPR);
#pragma unroll
			for (int c = 0; c < BKB / TPR; c += 16) {
				uint4 w = *(const uint4*)(Bs + TOFF(sr, sc + c));
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
#if WG
		if (kt != KT - 1) {
			wg_wait<1>(); // the stage before this one is free to refill
			continue;
		}
		wg_wait<0>();
		wg_keep(acc);
#else
		if (kt != KT - 1) continue;
#endif

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
#if WG
		// (2) Filter the accumulators against the thresholds; append the
		// keys that pass. Accumulator 4i+e is query row wgm*64 + (warp%4)*16
		// + g + 8*(e>>1), stored row wgn*WGNR + 8i + 2*t4 + (e&1) of the
		// tile. The accumulators are read on every path (no divergent
		// reads near the wgmma).
#pragma unroll
		for (int hh = 0; hh < 2; hh++) {
			int ql = wgm * 64 + (warp & 3) * 16 + hh * 8 + g;
			bool qok = qbase + ql < m;
			float thr = thr_s[ql];
			float qf = qsc[ql];
#pragma unroll
			for (int i = 0; i < NACC / 4; i++)
#pragma unroll
				for (int e = 0; e < 2; e++) {
					int c = wgn * WGNR + i * 8 + 2 * t4 + e;
					float s = acc[4 * i + 2 * hh + e] * qf;
					if (SS) s *= xsc[c];
					bool pass = lg ? !(s < thr) : !(s > thr);
					if (pass && qok && r0 + c < nend) {
						int pos = atomicAdd(&cnt_s[ql], 1);
						wb[ql * (i64)C + pos] = make_key(s, lg, (u32)(r0 + c));
					}
				}
		}
#else
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
#endif
		__syncthreads();
		// (3) Cut back every buffer that the next tile could overflow, and
		// every buffer that has kk keys and no threshold yet (the first
		// tiles: a threshold early keeps the later tiles' keys few).
		for (int ql = warp; ql < BM; ql += 8) {
			int cnt = cnt_s[ql];
			float th = thr_s[ql];
			if (cnt <= C - BN && !(th != th && cnt >= kk)) continue;
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
