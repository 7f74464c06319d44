// attention: multi-head self-attention over packed sequences
// (engine.OpAttention). One SIMD group a (query row, head) pair: the
// row's sequence is found by binary search of the starts, then the group
// walks the sequence's keys once with an online softmax (the running
// maximum m, the running sum l, the accumulator rescaled when m grows),
// each lane holding columns lane, lane+32, ... of the query and of the
// accumulator, the dot products summed by simd_sum. Float throughout;
// the output is float.
#include "silica.h"

// AttentionParams: the dispatch's rows [row0, row0 + rows) of q, k, v
// [n, h], heads heads, and the score scale; its nseg sequences' starts
// (nseg + 1 offsets into the rows, absolute) are bound as a second
// constant buffer (packed by metal.attentionParams).
struct AttentionParams {
	uint rows;
	uint h;
	uint heads;
	uint nseg;
	uint row0;
	float scale;
};

// HEAD_LANES is the most columns of a head each lane keeps: a head of up
// to 32*HEAD_LANES columns (engine.MaxHeadDim) lives in one SIMD group.
#define HEAD_LANES 8

template <class T>
void attention_rows(device const T* q, device const T* k, device const T* v, device float* out,
	constant AttentionParams& p, constant uint* starts, uint task, uint lane) {
	if (task >= p.rows * p.heads) return;
	uint dh = p.h / p.heads;
	uint row = p.row0 + task / p.heads, c0 = (task % p.heads) * dh;
	uint lo = 0, hi = p.nseg; // starts[lo] <= row < starts[hi]
	while (hi - lo > 1) {
		uint mid = (lo + hi) / 2;
		if (starts[mid] <= row) lo = mid; else hi = mid;
	}
	uint s0 = starts[lo], s1 = starts[lo + 1];
	float qv[HEAD_LANES], acc[HEAD_LANES];
	for (uint u = 0; u < HEAD_LANES; u++) {
		uint c = lane + 32 * u;
		qv[u] = c < dh ? load_f(q[ulong(row) * p.h + c0 + c]) : 0.0f;
		acc[u] = 0.0f;
	}
	float m = as_type<float>(0xff800000u), l = 0.0f; // -Inf, 0
	for (uint r = s0; r < s1; r++) {
		float d = 0.0f;
		for (uint u = 0; u < HEAD_LANES; u++) {
			uint c = lane + 32 * u;
			if (c < dh) d = fma(qv[u], load_f(k[ulong(r) * p.h + c0 + c]), d);
		}
		float s = simd_sum(d) * p.scale;
		float mn = fmax(m, s);
		float corr = precise::exp(m - mn); // 0 for the first key (m = -Inf)
		float e = precise::exp(s - mn);
		l = fma(l, corr, e);
		for (uint u = 0; u < HEAD_LANES; u++) {
			uint c = lane + 32 * u;
			if (c < dh) acc[u] = fma(e, load_f(v[ulong(r) * p.h + c0 + c]), acc[u] * corr);
		}
		m = mn;
	}
	float inv = 1.0f / l;
	for (uint u = 0; u < HEAD_LANES; u++) {
		uint c = lane + 32 * u;
		if (c < dh) out[ulong(row) * p.h + c0 + c] = acc[u] * inv;
	}
}

#define ATTENTION_KERNELS(T, name)                                                               \
	kernel void attention_rows_##name(device const T* q [[buffer(0)]],                           \
		device const T* k [[buffer(1)]], device const T* v [[buffer(2)]],                        \
		device float* out [[buffer(3)]], constant AttentionParams& p [[buffer(4)]],              \
		constant uint* starts [[buffer(5)]], uint tg [[threadgroup_position_in_grid]],           \
		uint sg [[simdgroup_index_in_threadgroup]], uint nsg [[simdgroups_per_threadgroup]],     \
		uint lane [[thread_index_in_simdgroup]]) {                                               \
		attention_rows<T>(q, k, v, out, p, starts, tg * nsg + sg, lane);                         \
	}

ATTENTION_KERNELS(float, float32)
ATTENTION_KERNELS(half, float16)
ATTENTION_KERNELS(bf16, bfloat16)
