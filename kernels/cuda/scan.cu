// scan.cu: the fused search (scores of queries against stored rows, and
// the best k of each query's scores) and the row kernels of products of
// few rows against many.
//
// rowscan: one warp a stored row, SIMT float32, every query of the group
// (up to MQ) scored against the row while it is in registers, so the rows
// are read once per group. MODE 0 writes the scores ([m, n], the small-m
// products of matmul.cu's ops); MODE 1 keeps, per warp and query, the
// candidates that beat the warp's current k-th best in a buffer that is
// sorted and cut back to k when full; at the end each block merges its
// warps' candidates and writes its best k per query.
//
// Defines: T, the stored rows' type (float, f16, bf16, i8); TQ, the
// queries' type; MQ, the most queries of a group; NV, 16-byte vectors a
// lane loads per row (0: a scalar loop for any d); MODE; METRIC (0 dot, 1
// squared L2); RU, rows a warp loads at once (with NV > 0); MINB; MASK
// (MODE 1: read the row bitmap bits, engine.OpMaskRows: a row whose bit
// is clear is offered with the worst score).

#ifndef SIL_T
#define SIL_T float
#endif
#define T SIL_T
#ifndef SIL_TQ
#define SIL_TQ T
#endif
#define TQ SIL_TQ
#ifndef SIL_MQ
#define SIL_MQ 1
#endif
#define MQ SIL_MQ
#ifndef SIL_NV
#define SIL_NV 0
#endif
#define NV SIL_NV
#ifndef SIL_MODE
#define SIL_MODE 1
#endif
#define MODE SIL_MODE
#ifndef SIL_MINB
#define SIL_MINB 2
#endif
#define MINB SIL_MINB
#ifndef SIL_RU
#define SIL_RU 1
#endif
#define RU SIL_RU
#ifndef SIL_METRIC
#define SIL_METRIC 0
#endif
#define METRIC SIL_METRIC
#ifndef SIL_MASK
#define SIL_MASK 0
#endif
#define MASK SIL_MASK

#if NV == 0 && RU != 1
#error "RU > 1 needs vectorised rows (NV > 0)"
#endif

#define VEC (16 / (int)sizeof(T))
#define WARPS 8

// conv16 converts one 16-byte vector of T, as loaded, into VEC floats
// (the pointer only picks the type).
__device__ __forceinline__ void conv16(uint4 a, float* v, const float*) {
	v[0] = __uint_as_float(a.x); v[1] = __uint_as_float(a.y); v[2] = __uint_as_float(a.z); v[3] = __uint_as_float(a.w);
}
__device__ __forceinline__ void conv16(uint4 a, float* v, const f16*) {
	u32 w[4] = {a.x, a.y, a.z, a.w};
#pragma unroll
	for (int i = 0; i < 4; i++) {
		f16 lo, hi;
		lo.x = (unsigned short)(w[i] & 0xffffu);
		hi.x = (unsigned short)(w[i] >> 16);
		v[2 * i] = to_f32(lo);
		v[2 * i + 1] = to_f32(hi);
	}
}
__device__ __forceinline__ void conv16(uint4 a, float* v, const bf16*) {
	u32 w[4] = {a.x, a.y, a.z, a.w};
#pragma unroll
	for (int i = 0; i < 4; i++) {
		v[2 * i] = __uint_as_float(w[i] << 16);
		v[2 * i + 1] = __uint_as_float(w[i] & 0xffff0000u);
	}
}
__device__ __forceinline__ void conv16(uint4 a, float* v, const i8*) {
	u32 w[4] = {a.x, a.y, a.z, a.w};
#pragma unroll
	for (int i = 0; i < 4; i++)
#pragma unroll
		for (int b = 0; b < 4; b++) v[4 * i + b] = (float)(i8)((w[i] >> (8 * b)) & 0xffu);
}

// row_partials accumulates this lane's share of the row's score against
// each query (dot, or squared distance) and of the row's sum of squares.
#if NV > 0
// QSTRIDE is a query's floats in shared memory, laid out for the
// vectorised rows: the 4 floats of quarter e/4 of lane l's vector i at
// qpos = ((i * VEC/4 + e/4) * 32 + l) * 4, so that a warp's 16-byte loads
// of one quarter read 512 contiguous bytes, free of bank conflicts
// whatever VEC (a plain row-major copy would put 16-bit rows' lanes 32
// bytes apart, two loads' worth of bank cycles each).
#define QSTRIDE (NV * 32 * VEC)
__device__ __forceinline__ int qpos(int c) {
	int vi = c / VEC, e = c % VEC;
	return (((vi >> 5) * (VEC / 4) + e / 4) * 32 + (vi & 31)) * 4 + (e & 3);
}

// row_load loads this lane's 16-byte vectors of a row as they are
// stored (zeros past d): 4 registers a vector whatever T, so that 16-bit
// rows keep twice as many bytes in flight as converted floats would.
__device__ __forceinline__ void row_load(const T* xr, i64 d, uint4 (&v)[NV]) {
	int lane = threadIdx.x & 31;
#pragma unroll
	for (int i = 0; i < NV; i++) {
		i64 c = (i64)(lane + 32 * i) * VEC;
		if (c < d) v[i] = *(const uint4*)(xr + c);
		else v[i].x = v[i].y = v[i].z = v[i].w = 0u;
	}
}

// rows_compute accumulates this lane's share of each of the RU rows'
// scores against each query (dot, or squared distance) and of each row's
// sum of squares (f: the rows' scales); each query value read from shared
// memory serves all RU rows.
__device__ __forceinline__ void rows_compute(uint4 (&raw)[RU][NV], const float* qs, i64 d, int mq,
                                             const float (&f)[RU], float (&part)[RU][MQ], float (&ss)[RU])
{
	int lane = threadIdx.x & 31;
	float v[RU][NV][VEC];
#pragma unroll
	for (int u = 0; u < RU; u++)
#pragma unroll
		for (int i = 0; i < NV; i++) conv16(raw[u][i], v[u][i], (const T*)0);
#pragma unroll
	for (int u = 0; u < RU; u++)
#pragma unroll
		for (int i = 0; i < NV; i++)
#pragma unroll
			for (int e = 0; e < VEC; e++) {
				if (METRIC == 1) v[u][i][e] *= f[u];
				ss[u] = fmaf(v[u][i][e], v[u][i][e], ss[u]);
			}
#pragma unroll
	for (int j = 0; j < MQ; j++) {
		if (j >= mq) continue;
		const float* qj = qs + j * QSTRIDE;
		float acc[RU];
#pragma unroll
		for (int u = 0; u < RU; u++) acc[u] = 0.0f;
#pragma unroll
		for (int i = 0; i < NV; i++) {
			int c = (lane + 32 * i) * VEC;
			if (c >= d) continue;
#pragma unroll
			for (int e = 0; e < VEC; e += 4) {
				float4 q4 = *(const float4*)(qj + ((i * (VEC / 4) + e / 4) * 32 + lane) * 4);
#pragma unroll
				for (int u = 0; u < RU; u++) {
					const float* w = &v[u][i][e];
					if (METRIC == 1) {
						float a0 = q4.x - w[0], a1 = q4.y - w[1], a2 = q4.z - w[2], a3 = q4.w - w[3];
						acc[u] = fmaf(a0, a0, acc[u]); acc[u] = fmaf(a1, a1, acc[u]);
						acc[u] = fmaf(a2, a2, acc[u]); acc[u] = fmaf(a3, a3, acc[u]);
					} else {
						acc[u] = fmaf(q4.x, w[0], acc[u]); acc[u] = fmaf(q4.y, w[1], acc[u]);
						acc[u] = fmaf(q4.z, w[2], acc[u]); acc[u] = fmaf(q4.w, w[3], acc[u]);
					}
				}
			}
		}
#pragma unroll
		for (int u = 0; u < RU; u++) part[u][j] += acc[u];
	}
}
#else
// row_partials is row_load and rows_compute for one row of any d, element by element.
__device__ __forceinline__ void row_partials(const T* xr, const float* qs, int dpad, i64 d, int mq,
                                             float f, float (&part)[MQ], float& ss)
{
	int lane = threadIdx.x & 31;
	for (i64 c = lane; c < d; c += 32) {
		float xv = to_f32(xr[c]);
		if (METRIC == 1) xv *= f;
		ss = fmaf(xv, xv, ss);
#pragma unroll
		for (int j = 0; j < MQ; j++) {
			if (j >= mq) continue;
			float qv = qs[j * dpad + c];
			if (METRIC == 1) {
				float a = qv - xv;
				part[j] = fmaf(a, a, part[j]);
			} else {
				part[j] = fmaf(qv, xv, part[j]);
			}
		}
	}
}
#endif

// rowscan: queries q [m, d] (this launch takes rows q0 .. q0+mq-1, mq <=
// MQ), stored rows x [n, d]. Scores: dot * qscale[q] * (xf[r] or 1, times
// 1/max(xf*||x_r||, 1e-12) when normB), or with METRIC 1 the squared
// distance to x_r * xf[r]. MODE 0: out [m, n] float32. MODE 1: cand
// [m][gridDim.x][kk] keys (best first, EMPTY_KEY padded), using wbuf
// (C keys per warp and query) and bbuf (WARPS*kp keys per block); with
// MASK, row r scores -Inf (largest) or +Inf unless bit r%32 of bits[r/32]
// is set (bits is unread without MASK).
extern "C" __global__ void __launch_bounds__(256, MINB) rowscan(
	const TQ* q, const T* x, i64 m, i64 n, i64 d, int q0, int mq,
	const float* qscale, const float* xf, int normB, int largest,
	float* out, u64* cand, int kk, int C, u64* wbuf, u64* bbuf, int sortSmem, const u32* bits)
{
	extern __shared__ __align__(16) float qs[];
	int dpad = (int)((d + 3) & ~3ll);
#if NV > 0
	const int qstride = QSTRIDE; // the host sizes shared memory alike (scan.go, rowQStride)
#else
	const int qstride = dpad;
#endif
	u64* sb = sortSmem ? (u64*)(qs + ((MQ * qstride + 1) & ~1)) + (threadIdx.x >> 5) * C : (u64*)0;
	for (int t = threadIdx.x; t < mq * qstride; t += blockDim.x) {
		int j = t / qstride, c = t - j * qstride;
		float v = c < d ? to_f32(q[(i64)(q0 + j) * d + c]) : 0.0f;
#if NV > 0
		qs[j * qstride + qpos(c)] = v;
#else
		qs[t] = v;
#endif
	}
	__syncthreads();
	int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
	i64 gw = (i64)blockIdx.x * WARPS + warp;
	i64 nw = (i64)gridDim.x * WARPS;
	bool lg = largest != 0;
	float qsc[MQ];
	u64 thr[MQ];
	int cnt[MQ];
#pragma unroll
	for (int j = 0; j < MQ; j++) {
		qsc[j] = (j < mq && qscale) ? qscale[q0 + j] : 1.0f;
		thr[j] = EMPTY_KEY;
		cnt[j] = 0;
	}
	for (i64 r0 = gw; r0 < n; r0 += nw * RU) {
		float part[RU][MQ], ss[RU], f[RU];
#if NV > 0
		// RU rows' loads in flight before any is used (rows past n load
		// row n-1 and are not scored).
		uint4 v[RU][NV];
#pragma unroll
		for (int u = 0; u < RU; u++) row_load(x + min(r0 + u * nw, n - 1) * d, d, v[u]);
#endif
#pragma unroll
		for (int u = 0; u < RU; u++) {
			f[u] = xf ? xf[min(r0 + u * nw, n - 1)] : 1.0f;
			ss[u] = 0.0f;
#pragma unroll
			for (int j = 0; j < MQ; j++) part[u][j] = 0.0f;
		}
#if NV > 0
		rows_compute(v, qs, d, mq, f, part, ss);
#else
		row_partials(x + r0 * d, qs, dpad, d, mq, f[0], part[0], ss[0]); // RU is 1
#endif
#pragma unroll
		for (int u = 0; u < RU; u++) {
		i64 r = r0 + u * nw;
		if (r >= n) continue;
		float xs = f[u];
		if (METRIC == 0 && normB) {
			float s2 = warp_sum(ss[u]);
			xs = f[u] / fmaxf(f[u] * sqrtf(s2), 1e-12f);
		}
		// the row's bit: one load per warp and row, uniform in the warp
		bool fails = MASK && MODE == 1 && ((bits[r >> 5] >> (r & 31)) & 1u) == 0u;
#pragma unroll
		for (int j = 0; j < MQ; j++) {
			if (j >= mq) continue;
			float s = warp_sum(part[u][j]);
			if (METRIC == 0) s = s * qsc[j] * xs;
			if (fails) s = masked_score(lg);
#if MODE == 0
			if (lane == 0) out[(i64)(q0 + j) * n + r] = s;
#else
			u64 key = make_key(s, lg, (u32)r);
			if (key < thr[j]) {
				u64* buf = wbuf + ((gw * MQ) + j) * (i64)C;
				if (cnt[j] == C) {
					thr[j] = warp_shrink(buf, sb, C, C, kk);
					cnt[j] = kk;
				}
				if (key < thr[j]) {
					if (lane == 0) buf[cnt[j]] = key;
					cnt[j]++;
				}
			}
#endif
		}
		}
	}
#if MODE == 1
	int kp = pow2_at_least(kk);
	u64* bb = bbuf + (i64)blockIdx.x * WARPS * kp;
#pragma unroll
	for (int j = 0; j < MQ; j++) {
		if (j >= mq) continue;
		u64* buf = wbuf + ((gw * MQ) + j) * (i64)C;
		warp_shrink(buf, sb, cnt[j], C, kk);
		for (int t = lane; t < kp; t += 32) bb[warp * kp + t] = t < kk ? buf[t] : EMPTY_KEY;
		block_sort(bb, WARPS * kp);
		u64* co = cand + ((i64)(q0 + j) * gridDim.x + blockIdx.x) * kk;
		for (int t = threadIdx.x; t < kk; t += blockDim.x) co[t] = bb[t];
		__syncthreads();
	}
#endif
}
