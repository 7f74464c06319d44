// scan_wgmma_v5.cu: the fused search on tensor cores with wgmma, version
// 5, for Hopper (sm_90a only; cuda/scan_v4.go: the default there). The
// tiling, the copies of the stages and the selection are scan_tc.cuh's.
//
// The two warpgroups of a block multiply with wgmma: the tensor cores
// read both tiles straight from shared memory (laid out as wg_off says,
// no padding, or with SWZ=1 as wg_off_swz says, swizzled: conflict-free
// for the tensor cores, the default) and run asynchronously, one stage's
// products in flight while the next stage is issued, so the stages are
// prefetched STAGES-2 ahead. Warpgroup w owns 64 queries by BN rows (BM
// 128) or 64 queries by BN/2 rows (BM 64). TF32 operands are truncated,
// not rounded, by wgmma (measured, bench/cuda/results/run6_wgmma_probe.log):
// the host's error bound says so. MINB caps the registers for that many
// blocks an SM.
//
// Defines: scan_tc.cuh's, and SWZ.

#ifndef SIL_SWZ
#define SIL_SWZ 0
#endif
#define SWZ SIL_SWZ

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

// The tiles' layout (scan_tc.cuh uses it): rows of BKB bytes, no padding.
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

#include "scan_tc.cuh"

#define WGM (BM / 64)          // warpgroups along the queries
#define WGN (2 / WGM)          // warpgroups along the rows
#define WGNR (BN / WGN)        // rows of a warpgroup's tile: the N of its wgmma
#define NACC (WGNR / 2)        // accumulators a thread
#if WGNR != 64 && WGNR != 128 && WGNR != 256
#error "WG needs BN/(2/(BM/64)) of 64, 128 or 256 rows a warpgroup"
#endif
#if STAGES < 3
#error "WG needs STAGES >= 3 (one stage of products in flight)"
#endif

// wg_desc: the matrix descriptor of a tile at shared address saddr (PTX
// ISA, "Matrix Descriptor Format": start address, leading and stride byte
// offsets, each >> 4; layout type: 0 no swizzle, 1 128-byte, 2 64-byte).
__device__ __forceinline__ u64 wg_desc(u32 saddr, u32 lbo, u32 sbo, u32 layout = 0) {
	return (u64)((saddr & 0x3FFFFu) >> 4) | ((u64)((lbo & 0x3FFFFu) >> 4) << 16) | ((u64)((sbo & 0x3FFFFu) >> 4) << 32) |
	       ((u64)layout << 62);
}

#ifndef SIL_EMU
// wgmma primitives (sm_90a). The emulator of the tests supplies the same
// functions.
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
#endif

// wgmma_scan_v5: the parameters and buffers of scan_mma_v4.cu's
// mma_scan_v4. Dynamic shared memory: smem() of cuda/scan_v4.go, the
// tiles at a multiple of 1024 bytes.
extern "C" __global__ void __launch_bounds__(NT, MINB) wgmma_scan_v5(
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
	int g = lane >> 2, t4 = lane & 3;
	constexpr int CPR = ScanLoader::CPR;
#if SWZ
	const int lr = tid / CPR, cb = (tid % CPR) * 16;
#else
	// Eight threads in a row fill one core matrix (128 contiguous bytes).
	const int lr = ((tid >> 3) / CPR) * 8 + (tid & 7), cb = ((tid >> 3) % CPR) * 16;
#endif
	ScanLoader load(q, x, m, d, xstep, blk.qbase, blk.nbeg, blk.nend, lr, cb);
	const int KT = load.KT;

	float ss = 0.0f;
	// Warpgroup wg multiplies queries wgm*64.. by rows wgn*WGNR.. of a tile.
	int wg = warp >> 2, wgm = wg / WGN, wgn = wg % WGN;
	float acc[NACC];
	constexpr int DIST = STAGES - 2; // stages loaded ahead: the slot refilled was read two stages ago
	for (int s = 0; s < DIST; s++) load.next(tiles);
	const u32 sbase = smem_u32(tiles);

	for (int it = 0, tile = 0, kt = 0, slot = 0; it < load.total; it++, kt++, slot = slot + 1 == STAGES ? 0 : slot + 1) {
		if (kt == KT) {
			kt = 0;
			tile++;
		}
		if (kt == 0) ss = 0.0f;
		// cp.async writes need no proxy fence before wgmma reads them, as
		// in CUTLASS's cp.async wgmma mainloop; a fence.proxy.async here,
		// MEMBAR.ALL.CTA in SASS, made v5 wait for every copy in flight.
		cp_wait<DIST - 1>();
		__syncthreads();
		load.next(tiles); // stage it + DIST
		const unsigned char* Bs = tiles + slot * SB + BM * BKB;
		u32 st = sbase + (u32)(slot * SB);
		u32 a0 = st + (u32)(wgm * 64 * BKB), b0 = st + (u32)((BM + wgn * WGNR) * BKB);
		wg_fence();
#pragma unroll
		for (int kb = 0; kb < BKB / 32; kb++)
			wg_mma(acc, wg_desc(a0 + kb * WG_STEP, WG_LBO, BKB * 8, WG_LAYOUT), wg_desc(b0 + kb * WG_STEP, WG_LBO, BKB * 8, WG_LAYOUT),
			       (kt | kb) != 0);
		wg_commit();
		if (SS) ss = blk.sum_squares(Bs, ss);
		if (kt != KT - 1) {
			wg_wait<1>(); // the stage before this one is free to refill
			continue;
		}
		wg_wait<0>();
		wg_keep(acc);

		// Epilogue of a tile: row scales, then the filter. Accumulator 4i+e
		// is query row wgm*64 + (warp%4)*16 + g + 8*(e>>1), stored row
		// wgn*WGNR + 8i + 2*t4 + (e&1) of the tile. The accumulators are
		// read on every path (no divergent reads near the wgmma).
		i64 r0 = blk.nbeg + (i64)tile * BN;
		blk.row_scales(ss, r0);
#pragma unroll
		for (int hh = 0; hh < 2; hh++) {
			int ql = wgm * 64 + (warp & 3) * 16 + hh * 8 + g;
			bool qok = blk.qbase + ql < m;
			float thr = blk.thr_s[ql];
			float qf = blk.qsc[ql];
#pragma unroll
			for (int i = 0; i < NACC / 4; i++)
#pragma unroll
				for (int e = 0; e < 2; e++)
					blk.offer(acc[4 * i + 2 * hh + e], ql, qf, thr, wgn * WGNR + i * 8 + 2 * t4 + e, r0, qok);
		}
		__syncthreads();
		blk.cut_back();
	}
	cp_wait<0>();
	__syncthreads();
	blk.finish(cand, maxnorm);
}
