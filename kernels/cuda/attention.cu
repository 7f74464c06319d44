// attention.cu: multi-head self-attention over packed sequences
// (engine.OpAttention).
//
// Defines: T, the element type of q, k and v (float, f16, bf16).

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
