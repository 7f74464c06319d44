// scan_tc.cuh: what the two tensor-core scans share: scan_mma_v4.cu (the
// mma.sync main loop, version 4, any GPU with tensor cores) and
// scan_wgmma_v5.cu (the wgmma main loop, version 5, Hopper). Both include
// it; cuda/scan_v4.go picks the scan and its tiling.
//
// A block owns BM (64 or 128) queries and a contiguous part of the stored
// rows, which stream through shared memory in tiles of BN (128 or 256)
// rows, STAGES deep with cp.async, BKB bytes of the shared dimension a
// stage (ScanLoader). The main loop of the kernel file multiplies them.
//
// Selection happens in registers, in the epilogue of each tile
// (ScanBlock): every thread scales its accumulators and compares each
// with its query's threshold, a float in shared memory (NaN: no threshold
// yet, everything passes; a NaN score always passes and ranks last in the
// keys). Scores that pass are appended as rank keys (prelude.cuh) to the
// query's buffer in global memory (C keys a block and query, an atomicAdd
// in shared memory taking the slot). A query gets at most BN keys a tile,
// so a buffer holding at most C - BN keys at the start of a tile cannot
// overflow; after the tile, a warp cuts every buffer over C - BN back to
// its kk best with a radix select (warp_select_kk) and sets the threshold
// to the kk-th best score (also the first time a buffer holds kk keys).
// The [m, n] score matrix is never written.
//
// At the end each query's kk best keys of the block (unsorted, EMPTY_KEY
// padded) go to cand; topk_select merges the parts.
//
// A seeded scan (ScanSeed, cuda/seed.go) starts each threshold at a
// score drawn from a sample of the rows instead, never raises it, and
// appends the keys past it to one list a query for all blocks; a scan
// with xstep > 1 reads every xstep-th row (that sample).
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
// The kernel file defines, before including this header, SB (the bytes
// of a stage: BM query rows, then BN stored rows) and TOFF(r, cb) (the
// byte offset in a stage of row r, byte cb of the shared dimension, a
// multiple of 16), its layout of the tiles.
//
// With MASK=1 a row r whose bit r%32 of bits[r/32] is clear scores
// -Inf (largest) or +Inf (a masked search, engine.OpMaskRows): the bit is
// read only for a score that passes its query's threshold, so after the
// first tiles almost never, and such a row enters a buffer only while its
// query has no threshold, and never a seeded scan's.
//
// Defines: T (float, f16, bf16), IS_TF32 for float, IS_BF16 for bf16; SS,
// BM, BN, BKB (64 or 128), STAGES, PF, MINB, MASK. SIL_EMU builds the kernel for
// the CPU emulator of the tests (cuda/emu_test.go), which supplies the
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
#ifndef SIL_MINB
#define SIL_MINB 1
#endif
#define MINB SIL_MINB          // blocks an SM the registers are capped for
#ifndef SIL_MASK
#define SIL_MASK 0
#endif
#define MASK SIL_MASK          // 1: rows whose bit in bits is clear score the worst

#define NT 256                 // threads a block
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

#ifndef SIL_EMU
// PTX primitives (cp.async's are in the prelude). The emulator of the
// tests supplies the same functions.
__device__ __forceinline__ void prefetch_l2(const void* p) { asm volatile("prefetch.global.L2 [%0];" ::"l"(p)); }
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

// ScanLoader issues the copies of the stages (tile it/KT, chunk it%KT,
// for it = 0, 1, ... in order) into slot it%STAGES of the tiles; bytes
// past d or rows past m or nend are zeros. Thread tid copies bytes cb..
// cb+15 of rows lr, lr + RPP, ... of the queries and of the stored rows.
// Its position advances by increments: no division a stage.
struct ScanLoader {
	static constexpr int CPR = BKB / 16, RPP = NT / CPR; // 16-byte chunks a row; rows a pass
	static_assert(BM % RPP == 0 && BN % RPP == 0, "whole rows a pass");
	const unsigned char *q, *x;
	i64 m, qbase, nend, rowb, xrowb; // xrowb: bytes from one stored row of the scan to the next
	int lr, cb, KT, ntiles, total;
	int it = 0, kt = 0, slot = 0, tile = 0;
	i64 colb = 0, r0;
	const unsigned char *qp, *xp;

	// The loader of the block of queries from qbase and stored rows from
	// nbeg to nend (row r of the scan is row r*xstep of x), for thread
	// tid's row lr and byte cb.
	__device__ __forceinline__ ScanLoader(const T* q_, const T* x_, i64 m_, i64 d, i64 xstep, i64 qbase_, i64 nbeg, i64 nend_, int lr_, int cb_)
		: q((const unsigned char*)q_), x((const unsigned char*)x_), m(m_), qbase(qbase_), nend(nend_), rowb(d * ES), xrowb(d * ES * xstep),
		  lr(lr_), cb(cb_) {
		KT = (int)((rowb + BKB - 1) / BKB);
		ntiles = nend > nbeg ? (int)((nend - nbeg + BN - 1) / BN) : 0;
		total = ntiles * KT;
		r0 = nbeg;
		qp = q + (qbase + lr) * rowb + cb;
		xp = x + (nbeg + lr) * xrowb + cb;
	}

	// next issues the copies of the next stage (a commit group, empty past
	// the last stage).
	__device__ __forceinline__ void next(unsigned char* tiles) {
		if (it < total) {
			unsigned char* As = tiles + slot * SB;
			bool colok = colb + cb < rowb;
#pragma unroll
			for (int j = 0; j < BM / RPP; j++) {
				bool ok = colok && qbase + lr + j * RPP < m;
				cp_async16(As + TOFF(lr + j * RPP, cb), ok ? qp + j * RPP * rowb : q, ok);
			}
#pragma unroll
			for (int j = 0; j < BN / RPP; j++) {
				bool ok = colok && r0 + lr + j * RPP < nend;
				cp_async16(As + TOFF(BM + lr + j * RPP, cb), ok ? xp + j * RPP * xrowb : x, ok);
			}
#if PF
			if (kt == 0 && tile + 1 < ntiles && xrowb == rowb) {
				i64 p0 = (r0 + BN) * rowb, p1 = min(nend, r0 + 2 * BN) * rowb;
				for (i64 p = p0 + (i64)threadIdx.x * 128; p < p1; p += NT * 128) prefetch_l2(x + p);
			}
#endif
		}
		cp_commit();
		it++;
		if (++slot == STAGES) slot = 0;
		qp += BKB;
		xp += BKB;
		colb += BKB;
		if (++kt == KT) { // next tile: back to the row's start, BN rows on
			kt = 0;
			tile++;
			qp -= colb;
			xp += BN * xrowb - colb;
			r0 += BN;
			colb = 0;
		}
	}
};

// ScanBlock is a block's selection state: its queries' thresholds, buffer
// counts and scales, the tile's row scales, in shared memory after the
// tiles (at smem + STAGES*SB: BM thresholds, BM counts, BM query scales,
// BN row scales, 8 warps x 256 counters, SCR bytes of scratch; smem() of
// cuda/scan_v4.go), and the buffers in wbuf.
//
// A seeded scan (sd.thr0 not null) starts each query's threshold at
// thr0[q*thr0s], a score at which at least the wanted keys are expected
// to pass (cuda/seed.go draws it from a sample of the rows), and keeps
// it: a block never cuts a buffer back, it flushes it whole to the
// query's list (sd.list [m][L], sd.cnt[q] keys appended, counted past L
// though only L are written) when the next tile could overflow it, and
// at the end. The list then holds every key at or past the threshold
// (of a masked scan, every passing row's).
struct ScanSeed {
	i64 xstep;        // row r of the scan is row r*xstep of x
	const float* thr0; // null: not seeded
	i64 thr0s;
	u32* cnt;
	u64* list;
	i64 L;
};

struct ScanBlock {
	float* thr_s; // BM thresholds (NaN: none yet)
	int* cnt_s;   // BM buffer counts
	float* qsc;   // BM query scales
	float* xsc;   // BN row scales of the tile
	u32* hist;    // 8 warps x 256 counters
	u32* scr;     // scratch: [0] the block's largest row norm
	u64* wb;      // the block's buffers, BM x C keys
	const u32* bits; // with MASK: the rows' bitmap
	ScanSeed sd;
	i64 m, qbase, nbeg, nend;
	int normB, kk, C;
	bool lg;

	// The state of block (blockIdx.x, blockIdx.y) of the search: queries
	// from blockIdx.x*BM, stored rows [blockIdx.y*per, +per) of the n;
	// sel is the shared memory after the tiles.
	__device__ __forceinline__ ScanBlock(unsigned char* sel, i64 m_, i64 n, i64 per, const float* qscale, int normB_, int largest,
	                                     int kk_, int C_, u64* wbuf, const u32* bits_, ScanSeed sd_)
		: bits(bits_), sd(sd_), m(m_), normB(normB_), kk(kk_), C(C_) {
		thr_s = (float*)sel;
		cnt_s = (int*)(thr_s + BM);
		qsc = (float*)(cnt_s + BM);
		xsc = qsc + BM;
		hist = (u32*)(xsc + BN);
		scr = hist + 8 * 256;
		qbase = (i64)blockIdx.x * BM;
		nbeg = (i64)blockIdx.y * per;
		nend = min(n, nbeg + per);
		lg = largest != 0;
		i64 blk = (i64)blockIdx.y * gridDim.x + blockIdx.x;
		wb = wbuf + blk * BM * (i64)C;
		int tid = threadIdx.x;
		if (tid < BM) {
			thr_s[tid] = (sd.thr0 && qbase + tid < m) ? sd.thr0[(qbase + tid) * sd.thr0s] : __uint_as_float(0x7fc00000u);
			cnt_s[tid] = 0;
			qsc[tid] = (qscale && qbase + tid < m) ? qscale[qbase + tid] : 1.0f;
		}
		if (tid == 0) scr[0] = 0;
	}

	// unseeded reports that the block of a masked seeded scan has nothing
	// to list: every query's seed is the worst score, its sample having
	// had fewer passing rows than its rank (the rows' filter is the same
	// for every query). The block then returns at once, its queries' lists
	// empty, and they are searched again without a seed (cuda/seed.go):
	// a scan listing every passing row would cost a whole scan more
	// whenever fewer than the wanted keys pass.
	__device__ __forceinline__ bool unseeded() const {
#if MASK
		if (!sd.thr0) return false;
		int tid = threadIdx.x;
		bool worst = true;
		if (tid < BM && qbase + tid < m) {
			float t = sd.thr0[(qbase + tid) * sd.thr0s];
			worst = t == masked_score(lg);
		}
		return __syncthreads_and(worst) != 0;
#else
		return false;
#endif
	}

	// sum_squares adds to ss the squares of thread tid's 1/TPR of row
	// tid/TPR of the stage's stored rows Bs.
	__device__ __forceinline__ float sum_squares(const unsigned char* Bs, float ss) const {
		const int tid = threadIdx.x, sr = tid / TPR, sc = (tid % TPR) * (BKB / TPR);
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
		return ss;
	}

	// row_scales ends the sums of squares of the tile from row r0 (ss,
	// each thread's part) into the row scales and the block's largest row
	// norm, then waits for the block.
	__device__ __forceinline__ void row_scales(float ss, i64 r0) {
		int tid = threadIdx.x;
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
	}

	// offer is the candidate filter: the score of accumulator a, query ql
	// of the block (scale qf, threshold thr) against column c of the tile
	// from row r0, is appended to the query's buffer when it passes the
	// threshold, ok holds and the row is one of the part's.
	__device__ __forceinline__ void offer(float a, int ql, float qf, float thr, int c, i64 r0, bool ok) {
		float s = a * qf;
		if (SS) s *= xsc[c];
		bool pass = lg ? !(s < thr) : !(s > thr);
		if (pass && ok && r0 + c < nend) {
#if MASK
			i64 r = (r0 + c) * sd.xstep;
			if (((bits[r >> 5] >> (r & 31)) & 1u) == 0u) { // a failing row: the worst score
				// It enters an unseeded scan's buffer only while its query
				// has no threshold yet (until the buffer is first cut
				// back to kk keys): after that, a later failing row ranks
				// after every failing row kept (the same worst score, a
				// larger index). On an H100 (run 34 A, 64 queries over 1M rows,
				// device ms of the search, against the buffer's count
				// tested instead), at k = 100 keeping half: float16
				// 1.05-1.06 against 1.09-1.17 (unfiltered 1.00-1.03),
				// float32 1.70-1.71 against 1.82 (unfiltered 1.67-1.72).
				// A seeded scan's list keeps only passing rows: a query
				// whose list ends with fewer than the wanted keys is
				// searched again without a seed.
				if (sd.thr0 || thr == thr) return;
				s = masked_score(lg);
			}
#endif
			int pos = atomicAdd(&cnt_s[ql], 1);
			wb[ql * (i64)C + pos] = make_key(s, lg, (u32)(r0 + c));
		}
	}

	// cut_back cuts back every buffer that the next tile could overflow,
	// and every buffer that has kk keys and no threshold yet (the first
	// tiles: a threshold early keeps the later tiles' keys few), a warp a
	// query; a seeded scan flushes those buffers instead. Then it waits
	// for the block.
	__device__ __forceinline__ void cut_back() {
		int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
		if (sd.thr0) {
			flush(C - BN);
			return;
		}
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

	// flush appends every buffer holding more than lim keys to its
	// query's list (a seeded scan), a warp a query, and empties it; then
	// waits for the block.
	__device__ __forceinline__ void flush(int lim) {
		int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
		for (int ql = warp; ql < BM; ql += 8) {
			int cnt = cnt_s[ql];
			if (cnt <= lim) continue;
			i64 qi = qbase + ql;
			u32 pos = 0;
			if (lane == 0) pos = atomicAdd(sd.cnt + qi, (u32)cnt);
			pos = __shfl_sync(0xffffffffu, pos, 0);
			const u64* b = wb + ql * (i64)C;
			u64* o = sd.list + qi * sd.L;
			for (int u = lane; u < cnt; u += 32)
				if ((i64)pos + u < sd.L) o[pos + u] = b[u];
			__syncwarp();
			if (lane == 0) cnt_s[ql] = 0;
		}
		__syncthreads();
	}

	// finish writes each query's kk best keys of the block, EMPTY_KEY
	// padded, to cand [m][parts][kk], and the block's largest row norm to
	// *maxnorm. The tiles must be done with.
	__device__ __forceinline__ void finish(u64* cand, u32* maxnorm) {
		int tid = threadIdx.x, lane = tid & 31, warp = tid >> 5;
		if (sd.thr0) {
			flush(0);
			if (SS && tid == 0) atomicMax(maxnorm, scr[0]);
			return;
		}
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
};
