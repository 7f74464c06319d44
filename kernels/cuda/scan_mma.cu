// scan_mma.cu: the fused search on tensor cores, for many queries.
//
// A block owns BM=64 queries and a contiguous part of the stored rows. The
// rows stream through shared memory in tiles of BN=128 rows by 128 bytes
// of the shared dimension, STAGES deep with cp.async; 8 warps (2 x 4)
// each multiply a 32x32 part of the 64x128 score tile with mma.sync
// (m16n8k16 for f16/bf16, m16n8k8 TF32 for float32). The score tile then
// goes to shared memory, and each warp filters the rows of its queries
// against the query's current k-th best key, appending the few that beat
// it to the query's buffer (global memory, mostly in L2), which is sorted
// and cut back to kk when full. The [m, n] score matrix is never written.
// At the end each query's best kk of the block go to cand.
//
// Scores are acc * qscale[q] * xscale[r], xscale = 1/max(||x_r||, 1e-12)
// with normB. With SS=1 the kernel also sums the squares of every row it
// streams (for normB, and for the error bound of TF32 scores: the largest
// row norm goes to *maxnorm).
//
// Defines: T (float, f16, bf16), with IS_TF32 for float and IS_BF16 for
// bf16; SS (0 or 1).

#ifndef SIL_T
#define SIL_T float
#endif
#define T SIL_T
#ifndef SIL_SS
#define SIL_SS 0
#endif
#define SS SIL_SS
#if defined(SIL_IS_BF16)
#define MMA_TYPE "bf16"
#else
#define MMA_TYPE "f16"
#endif

#define BM 64
#define BN 128
#define ROWB 144           // bytes of a tile row in shared memory: 128 + 16 of padding
#define ROWW (ROWB / 4)    // the same in 32-bit words
#define STAGES 4
#define SST (BN + 4)       // floats of a score-tile row
#define ES ((int)sizeof(T))
#define BKE (128 / ES)     // elements of the shared dimension per stage

__device__ __forceinline__ u32 to_tf32(float f) {
	u32 r;
	asm("cvt.rna.tf32.f32 %0, %1;" : "=r"(r) : "f"(f));
	return r;
}

// mma_tile multiplies the warp's 32x32 part of one stage (128 bytes of the
// shared dimension) into acc[mi][ni][4].
__device__ __forceinline__ void mma_stage(const u32* As, const u32* Bs, int wm, int wn, float (&acc)[2][4][4]) {
	int lane = threadIdx.x & 31, g = lane >> 2, t = lane & 3;
#if defined(SIL_IS_TF32)
#pragma unroll
	for (int kk = 0; kk < 32; kk += 8) {
		u32 a[2][4], b[4][2];
#pragma unroll
		for (int mi = 0; mi < 2; mi++) {
			const u32* p = As + (wm * 32 + mi * 16 + g) * ROWW + kk + t;
			a[mi][0] = to_tf32(__uint_as_float(p[0]));
			a[mi][1] = to_tf32(__uint_as_float(p[8 * ROWW]));
			a[mi][2] = to_tf32(__uint_as_float(p[4]));
			a[mi][3] = to_tf32(__uint_as_float(p[8 * ROWW + 4]));
		}
#pragma unroll
		for (int ni = 0; ni < 4; ni++) {
			const u32* p = Bs + (wn * 32 + ni * 8 + g) * ROWW + kk + t;
			b[ni][0] = to_tf32(__uint_as_float(p[0]));
			b[ni][1] = to_tf32(__uint_as_float(p[4]));
		}
#pragma unroll
		for (int mi = 0; mi < 2; mi++)
#pragma unroll
			for (int ni = 0; ni < 4; ni++) {
				float* c = acc[mi][ni];
				asm("mma.sync.aligned.m16n8k8.row.col.f32.tf32.tf32.f32 {%0,%1,%2,%3}, {%4,%5,%6,%7}, {%8,%9}, {%0,%1,%2,%3};"
					: "+f"(c[0]), "+f"(c[1]), "+f"(c[2]), "+f"(c[3])
					: "r"(a[mi][0]), "r"(a[mi][1]), "r"(a[mi][2]), "r"(a[mi][3]), "r"(b[ni][0]), "r"(b[ni][1]));
			}
	}
#else
#pragma unroll
	for (int kw = 0; kw < 32; kw += 8) { // 8 words = 16 halves a step
		u32 a[2][4], b[4][2];
#pragma unroll
		for (int mi = 0; mi < 2; mi++) {
			const u32* p = As + (wm * 32 + mi * 16 + g) * ROWW + kw + t;
			a[mi][0] = p[0];
			a[mi][1] = p[8 * ROWW];
			a[mi][2] = p[4];
			a[mi][3] = p[8 * ROWW + 4];
		}
#pragma unroll
		for (int ni = 0; ni < 4; ni++) {
			const u32* p = Bs + (wn * 32 + ni * 8 + g) * ROWW + kw + t;
			b[ni][0] = p[0];
			b[ni][1] = p[4];
		}
#pragma unroll
		for (int mi = 0; mi < 2; mi++)
#pragma unroll
			for (int ni = 0; ni < 4; ni++) {
				float* c = acc[mi][ni];
				asm("mma.sync.aligned.m16n8k16.row.col.f32." MMA_TYPE "." MMA_TYPE ".f32 {%0,%1,%2,%3}, {%4,%5,%6,%7}, {%8,%9}, {%0,%1,%2,%3};"
					: "+f"(c[0]), "+f"(c[1]), "+f"(c[2]), "+f"(c[3])
					: "r"(a[mi][0]), "r"(a[mi][1]), "r"(a[mi][2]), "r"(a[mi][3]), "r"(b[ni][0]), "r"(b[ni][1]));
			}
	}
#endif
}

// row_sumsq adds the squares of this thread's half of its tile row (BN
// rows, two threads a row) of one stage.
__device__ __forceinline__ float row_sumsq(const unsigned char* Bs, float ss) {
	const unsigned char* p = Bs + (threadIdx.x >> 1) * ROWB + (threadIdx.x & 1) * 64;
#pragma unroll
	for (int c = 0; c < 4; c++) {
		uint4 w = *(const uint4*)(p + 16 * c);
		u32 ws[4] = {w.x, w.y, w.z, w.w};
#pragma unroll
		for (int i = 0; i < 4; i++) {
#if defined(SIL_IS_TF32)
			float v = __uint_as_float(ws[i]);
			ss = fmaf(v, v, ss);
#else
			T lo, hi;
			lo.x = (unsigned short)(ws[i] & 0xffffu);
			hi.x = (unsigned short)(ws[i] >> 16);
			float a = to_f32(lo), b = to_f32(hi);
			ss = fmaf(a, a, ss);
			ss = fmaf(b, b, ss);
#endif
		}
	}
	return ss;
}

// mma_scan: q [m, d], x [n, d] of T, d*sizeof(T) a multiple of 16. Grid
// (m tiles, parts); part p covers rows [p*per, min((p+1)*per, n)).
// wbuf: gridDim.x*gridDim.y*BM*C keys; cand [m][parts][kk]. With
// sortSmem, the dynamic shared memory ends with 8 warps x C keys in which
// the buffers are sorted.
extern "C" __global__ void __launch_bounds__(256, 1) mma_scan(
	const T* q, const T* x, i64 m, i64 n, i64 d, i64 per,
	const float* qscale, int normB, int largest,
	int kk, int C, u64* wbuf, u64* cand, u32* maxnorm, int sortSmem)
{
	extern __shared__ __align__(16) unsigned char smem[];
	unsigned char* tiles = smem;                                   // STAGES x (BM + BN) rows of ROWB
	float* S = (float*)(smem + STAGES * (BM + BN) * ROWB);           // BM x SST
	float* xsc = S + BM * SST;                                       // BN
	u64* thr_s = (u64*)(xsc + BN);                                   // BM
	int* cnt_s = (int*)(thr_s + BM);                                 // BM
	u64* sortb = (u64*)(cnt_s + BM);                                 // 8 x C when sortSmem
	__shared__ u32 block_max;

	int tid = threadIdx.x, lane = tid & 31, warp = tid >> 5;
	int wm = warp >> 2, wn = warp & 3;
	u64* sb = sortSmem ? sortb + warp * C : (u64*)0;
	int g = lane >> 2, t4 = lane & 3;
	i64 mt = blockIdx.x, part = blockIdx.y;
	i64 qbase = mt * BM;
	i64 nbeg = part * per, nend = min(n, nbeg + per);
	bool lg = largest != 0;
	i64 blk = (i64)blockIdx.y * gridDim.x + blockIdx.x;
	if (tid < BM) { thr_s[tid] = EMPTY_KEY; cnt_s[tid] = 0; }
	if (tid == 0) block_max = 0;

	int KT = (int)((d * ES + 127) / 128);
	i64 ntiles = nend > nbeg ? (nend - nbeg + BN - 1) / BN : 0;
	i64 total = ntiles * KT;

	auto load_stage = [&](i64 it) {
		if (it < total) {
			int slot = (int)(it % STAGES);
			i64 tile = it / KT;
			int kt = (int)(it - tile * KT);
			unsigned char* As = tiles + slot * (BM + BN) * ROWB;
			unsigned char* Bs = As + BM * ROWB;
			i64 colb = (i64)kt * 128;   // byte offset in a row
			i64 rowb = d * ES;          // bytes of a row
#pragma unroll
			for (int c = 0; c < 2; c++) {
				int ch = tid + 256 * c, r = ch >> 3, cb = (ch & 7) * 16;
				i64 qr = qbase + r;
				bool ok = qr < m && colb + cb < rowb;
				const unsigned char* src = (const unsigned char*)q + (ok ? qr * rowb + colb + cb : 0);
				cp_async16(As + r * ROWB + cb, src, ok);
			}
			i64 r0 = nbeg + tile * BN;
#pragma unroll
			for (int c = 0; c < 4; c++) {
				int ch = tid + 256 * c, r = ch >> 3, cb = (ch & 7) * 16;
				i64 xr = r0 + r;
				bool ok = xr < nend && colb + cb < rowb;
				const unsigned char* src = (const unsigned char*)x + (ok ? xr * rowb + colb + cb : 0);
				cp_async16(Bs + r * ROWB + cb, src, ok);
			}
		}
		cp_commit();
	};

	float acc[2][4][4];
	float ss = 0.0f;
	for (int s = 0; s < STAGES - 1; s++) load_stage(s);

	for (i64 it = 0; it < total; it++) {
		i64 tile = it / KT;
		int kt = (int)(it - tile * KT);
		if (kt == 0) {
#pragma unroll
			for (int mi = 0; mi < 2; mi++)
#pragma unroll
				for (int ni = 0; ni < 4; ni++)
#pragma unroll
					for (int e = 0; e < 4; e++) acc[mi][ni][e] = 0.0f;
			ss = 0.0f;
		}
		cp_wait<STAGES - 2>();
		__syncthreads();
		load_stage(it + STAGES - 1);
		int slot = (int)(it % STAGES);
		const unsigned char* As = tiles + slot * (BM + BN) * ROWB;
		const unsigned char* Bs = As + BM * ROWB;
		mma_stage((const u32*)As, (const u32*)Bs, wm, wn, acc);
		if (SS) ss = row_sumsq(Bs, ss);
		if (kt != KT - 1) continue;

		// Epilogue of a tile: scores to shared memory, then selection.
		i64 r0 = nbeg + tile * BN;
#pragma unroll
		for (int mi = 0; mi < 2; mi++)
#pragma unroll
			for (int ni = 0; ni < 4; ni++) {
				int row = wm * 32 + mi * 16 + g, col = wn * 32 + ni * 8 + 2 * t4;
				*(float2*)(S + row * SST + col) = make_float2(acc[mi][ni][0], acc[mi][ni][1]);
				*(float2*)(S + (row + 8) * SST + col) = make_float2(acc[mi][ni][2], acc[mi][ni][3]);
			}
		if (SS) {
			ss += __shfl_xor_sync(0xffffffffu, ss, 1);
			if ((tid & 1) == 0) {
				int r = tid >> 1;
				float nr = sqrtf(ss);
				xsc[r] = normB ? 1.0f / fmaxf(nr, 1e-12f) : 1.0f;
				if (r0 + r < nend) atomicMax(&block_max, __float_as_uint(nr));
			}
		} else if (tid < BN) {
			xsc[tid] = 1.0f;
		}
		__syncthreads();
		for (int r = warp; r < BM; r += 8) {
			i64 qi = qbase + r;
			if (qi >= m) break;
			float qf = qscale ? qscale[qi] : 1.0f;
			u64 thr = thr_s[r];
			int cnt = cnt_s[r];
			u64* buf = wbuf + (blk * BM + r) * (i64)C;
#pragma unroll
			for (int j = 0; j < BN / 32; j++) {
				int c = j * 32 + lane;
				i64 gi = r0 + c;
				bool valid = gi < nend;
				float s = S[r * SST + c] * qf * xsc[c];
				u64 key = make_key(s, lg, (u32)gi);
				bool p = valid && key < thr;
				unsigned bal = __ballot_sync(0xffffffffu, p);
				if (bal == 0) continue;
				if (cnt + __popc(bal) > C) {
					thr = warp_shrink(buf, sb, cnt, C, kk);
					cnt = kk;
					p = valid && key < thr;
					bal = __ballot_sync(0xffffffffu, p);
				}
				if (p) buf[cnt + __popc(bal & ((1u << lane) - 1u))] = key;
				cnt += __popc(bal);
			}
			if (lane == 0) { thr_s[r] = thr; cnt_s[r] = cnt; }
		}
		__syncthreads();
	}
	cp_wait<0>();
	__syncthreads();
	for (int r = warp; r < BM; r += 8) {
		i64 qi = qbase + r;
		if (qi >= m) break;
		int cnt = cnt_s[r];
		u64* buf = wbuf + (blk * BM + r) * (i64)C;
		warp_shrink(buf, sb, cnt, C, kk);
		u64* co = cand + (qi * gridDim.y + part) * kk;
		for (int u = lane; u < kk; u += 32) co[u] = buf[u];
	}
	if (SS && tid == 0) atomicMax(maxnorm, block_max);
}

// scan_finish: the exact re-scoring of TF32 candidates. approx [m][kc]
// holds each query's best kc keys by TF32 score, best first; exact [m][kc]
// receives keys of the same rows scored exactly in float32 (one warp a
// candidate). q, x float32.
extern "C" __global__ void rescore(const float* q, const float* x, i64 m, i64 d, int kc,
                                   const float* qscale, int normB, int largest,
                                   const u64* approx, u64* exact)
{
	int lane = threadIdx.x & 31;
	i64 w = (blockIdx.x * (i64)blockDim.x + threadIdx.x) >> 5;
	i64 nw = ((i64)gridDim.x * blockDim.x) >> 5;
	bool lg = largest != 0;
	for (i64 c = w; c < m * kc; c += nw) {
		i64 qi = c / kc;
		u64 ak = approx[c];
		if (ak == EMPTY_KEY) {
			if (lane == 0) exact[c] = EMPTY_KEY;
			continue;
		}
		u32 r = (u32)(ak & 0xffffffffu);
		const float* qr = q + qi * d;
		const float* xr = x + (i64)r * d;
		float dot = 0.0f, ss = 0.0f;
		for (i64 j = lane; j < d; j += 32) {
			float xv = xr[j];
			dot = fmaf(qr[j], xv, dot);
			ss = fmaf(xv, xv, ss);
		}
		dot = warp_sum(dot);
		ss = warp_sum(ss);
		float s = dot * (qscale ? qscale[qi] : 1.0f);
		if (normB) s *= 1.0f / fmaxf(sqrtf(ss), 1e-12f);
		if (lane == 0) exact[c] = make_key(s, lg, r);
	}
}

// verify: for each query, best [m][k] exact keys (best first) and approx
// [m][kc] TF32 keys. A row not among the candidates has a TF32 score no
// better than the last candidate's, so its exact score is within
// E = eps * qnorm[q] * qscale[q] * xmax of it; if even that cannot reach
// the k-th exact score, the result is exact (ok[q] = 1), else the query
// must be searched again exactly (ok[q] = 0). Writes vals/idx.
extern "C" __global__ void verify(const u64* best, const u64* approx, i64 m, int k, int kc,
                                  const float* qnorm, const float* qscale, const u32* xmax, int normB,
                                  float eps, int largest, float* vals, i64* idx, int* ok)
{
	bool lg = largest != 0;
	for (i64 t = blockIdx.x * (i64)blockDim.x + threadIdx.x; t < m * k; t += (i64)gridDim.x * blockDim.x) {
		u64 key = best[t];
		vals[t] = unrank32((u32)(key >> 32), lg);
		idx[t] = (i64)(key & 0xffffffffu);
		i64 qi = t / k;
		if (t - qi * k != k - 1) continue;
		u64 last = approx[qi * kc + kc - 1];
		int good;
		if (last == EMPTY_KEY) {
			good = 1; // every row of x was a candidate
		} else {
			float a = unrank32((u32)(last >> 32), lg);
			float sk = vals[t];
			float xm = normB ? 1.0f : __uint_as_float(*xmax);
			float e = eps * qnorm[qi] * (qscale ? qscale[qi] : 1.0f) * xm;
			good = lg ? (a + e < sk) : (a - e > sk);
		}
		ok[qi] = good;
	}
}
