// attention.cu: multi-head self-attention over packed sequences
// (engine.OpAttention).
//
// Defines: T, the element type of q, k and v (float, f16, bf16); DH, the
// columns of a head, for attention_tiles (which only a variant with DH
// has).

#ifndef SIL_T
#define SIL_T float
#endif
#define T SIL_T

// HEAD_LANES is the most columns of a head each lane keeps: a head of up
// to 32*HEAD_LANES columns (engine.MaxHeadDim) lives in one warp.
#define HEAD_LANES 8

// attention_rows: one warp a (query row, head) pair. The row's sequence
// is found by binary search of starts (nseg+1 offsets, starts[nseg] = n);
// the warp walks the sequence's keys once with an online softmax (the
// running maximum m, the running sum l, the accumulator rescaled when m
// grows), each lane holding columns lane, lane+32, ... of the query and of
// the accumulator, the dot products summed across the warp. Float32
// throughout; out is [n, h] float32.
extern "C" __global__ void attention_rows(const T* q, const T* k, const T* v, const int* starts, float* out,
                                          i64 n, i64 h, i64 heads, i64 nseg, float scale)
{
	int lane = threadIdx.x & 31;
	i64 w = (blockIdx.x * (i64)blockDim.x + threadIdx.x) >> 5;
	i64 nw = ((i64)gridDim.x * blockDim.x) >> 5;
	i64 dh = h / heads;
	for (i64 task = w; task < n * heads; task += nw) {
		i64 row = task / heads, c0 = (task % heads) * dh;
		i64 lo = 0, hi = nseg; // starts[lo] <= row < starts[hi]
		while (hi - lo > 1) {
			i64 mid = (lo + hi) / 2;
			if ((i64)starts[mid] <= row) lo = mid; else hi = mid;
		}
		i64 s0 = starts[lo], s1 = starts[lo + 1];
		float qv[HEAD_LANES], acc[HEAD_LANES];
#pragma unroll
		for (int u = 0; u < HEAD_LANES; u++) {
			i64 c = lane + 32 * u;
			qv[u] = c < dh ? to_f32(q[row * h + c0 + c]) : 0.0f;
			acc[u] = 0.0f;
		}
		float m = __uint_as_float(0xff800000u), l = 0.0f; // -Inf, 0
		for (i64 r = s0; r < s1; r++) {
			float d = 0.0f;
#pragma unroll
			for (int u = 0; u < HEAD_LANES; u++) {
				i64 c = lane + 32 * u;
				if (c < dh) d = fmaf(qv[u], to_f32(k[r * h + c0 + c]), d);
			}
			float s = warp_sum(d) * scale;
			float mn = fmaxf(m, s);
			float corr = expf(m - mn); // 0 for the first key (m = -Inf)
			float p = expf(s - mn);
			l = fmaf(l, corr, p);
#pragma unroll
			for (int u = 0; u < HEAD_LANES; u++) {
				i64 c = lane + 32 * u;
				if (c < dh) acc[u] = fmaf(p, to_f32(v[r * h + c0 + c]), acc[u] * corr);
			}
			m = mn;
		}
		float inv = 1.0f / l;
#pragma unroll
		for (int u = 0; u < HEAD_LANES; u++) {
			i64 c = lane + 32 * u;
			if (c < dh) out[row * h + c0 + c] = acc[u] * inv;
		}
	}
}

#ifdef SIL_DH
#define DH SIL_DH
// attention_tiles: a thread a (query row, head) pair, for heads of DH
// columns (32 or 64). A block of 256 threads takes RB query rows of one
// sequence (task b: tasks[2b] the sequence, tasks[2b+1] its first row
// within it) and HG consecutive heads (blockIdx.y): threads
// [RB*g, RB*(g+1)) head g of the group, so a warp shares its head. The
// sequence's keys and values pass through shared memory TK rows at a time
// ([HG][TK][DH] floats each), which every thread of a head reads at the
// same address (a broadcast). Each thread keeps its query row and its
// accumulator in registers and runs the online softmax of attention_rows,
// rescaling only when the maximum grows (one exp a key otherwise).
// Dynamic shared memory: 2*HG*TK*DH floats (32 KiB).
#define RB 64
#define HG 4
#define TK (1024 / DH)
extern "C" __global__ void __launch_bounds__(256) attention_tiles(const T* q, const T* k, const T* v, const int* starts,
                                                                 const int* tasks, float* out, i64 h, i64 heads, float scale)
{
	extern __shared__ __align__(16) unsigned char smem[];
	float* ks = (float*)smem;
	float* vs = ks + HG * TK * DH;
	int t = threadIdx.x, g = t / RB;
	int seq = tasks[2 * blockIdx.x];
	i64 s0 = starts[seq], s1 = starts[seq + 1];
	i64 row = s0 + tasks[2 * blockIdx.x + 1] + t % RB;
	i64 head = (i64)blockIdx.y * HG + g;
	bool active = row < s1 && head < heads;
	i64 c0 = head * DH;
	float qv[DH], acc[DH];
#pragma unroll
	for (int c = 0; c < DH; c++) {
		qv[c] = active ? to_f32(q[row * h + c0 + c]) : 0.0f;
		acc[c] = 0.0f;
	}
	float m = __uint_as_float(0xff800000u), l = 0.0f; // -Inf, 0
	for (i64 k0 = s0; k0 < s1; k0 += TK) {
		int nk = (int)min((i64)TK, s1 - k0);
		__syncthreads(); // every thread is done with the previous tile
		for (int e = t; e < HG * TK * DH; e += 256) {
			int gg = e / (TK * DH), j = (e / DH) % TK, c = e % DH;
			i64 hd = (i64)blockIdx.y * HG + gg;
			bool ok = j < nk && hd < heads;
			i64 src = (k0 + j) * h + hd * DH + c;
			ks[e] = ok ? to_f32(k[src]) : 0.0f;
			vs[e] = ok ? to_f32(v[src]) : 0.0f;
		}
		__syncthreads();
		if (!active) continue;
		const float* kr = ks + g * TK * DH;
		const float* vr = vs + g * TK * DH;
		for (int j = 0; j < nk; j++) {
			float d = 0.0f;
#pragma unroll
			for (int c = 0; c < DH; c += 4) {
				float4 k4 = *(const float4*)(kr + j * DH + c);
				d = fmaf(qv[c], k4.x, d);
				d = fmaf(qv[c + 1], k4.y, d);
				d = fmaf(qv[c + 2], k4.z, d);
				d = fmaf(qv[c + 3], k4.w, d);
			}
			float s = d * scale, p = 1.0f;
			if (s > m) { // a new maximum: rescale what was summed (0 at the first key)
				float corr = expf(m - s);
				l *= corr;
#pragma unroll
				for (int c = 0; c < DH; c++) acc[c] *= corr;
				m = s;
			} else {
				p = expf(s - m);
			}
			l += p;
#pragma unroll
			for (int c = 0; c < DH; c += 4) {
				float4 v4 = *(const float4*)(vr + j * DH + c);
				acc[c] = fmaf(p, v4.x, acc[c]);
				acc[c + 1] = fmaf(p, v4.y, acc[c + 1]);
				acc[c + 2] = fmaf(p, v4.z, acc[c + 2]);
				acc[c + 3] = fmaf(p, v4.w, acc[c + 3]);
			}
		}
	}
	if (active) {
		float inv = 1.0f / l;
#pragma unroll
		for (int c = 0; c < DH; c++) out[row * h + c0 + c] = acc[c] * inv;
	}
}
#endif
