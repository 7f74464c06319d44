// cosine_topk: the fused search (engine.OpScanTopK). The [m, n] score
// matrix is never written.
//
// cosine_topk_scan_<dtype>_<K>: threadgroup (g, b) scans stored rows
// [g*rows_per_group, ...) for queries [b*QB, b*QB + QB), QB = 1024/K (at
// most 16). It keeps, per query, the K best (key, row) candidates seen so
// far, sorted, in threadgroup memory. The rows go by in chunks of K: each
// SIMD group scores a row against every query of the block (lanes stride
// along d, one float4 simd_sum per four queries; the row's sum of squares comes along
// for on-the-fly normalization), the chunk's candidates are sorted by a
// bitonic network and merged into the running best. At the end each
// query's K best go to the partial lists, [m][groups][K] packed.
// Queries are normalized once per threadgroup when norm_a.
// Metrics: dot (optionally normalized: cosine), or squared L2. int8 rows
// are dequantized by their row scale.
//
// cosine_topk_scanmask_<dtype>_<K>: the same with a row bitmap (bit r%32
// of word r/32 set: row r passes, engine.OpMaskRows): a SIMD group skips
// the products of a failing row and offers it with the worst score.
//
// cosine_topk_merge_<K>: one threadgroup (K/2 threads, 32 to 256) per
// query merges its groups' sorted lists and writes the first k values (float32) and row indices
// (int64).
//
// K is a power of two from 32 to 1024 (kernels.MaxScanK); the engine's k
// is rounded up to it and the rest discarded.
#include "silica.h"

constant uint SCAN_THREADS = 256;

// scan_row_value is element j of stored row r as float.
template <class TX>
inline float row_value(device const TX* x, ulong at) { return load_f(x[at]); }

template <class TQ, class TX, uint K, bool MASK>
void scan(device const TQ* q, device const TX* x, device const float* scales, device const uint* bits,
	device ulong* partial, constant ScanParams& p, threadgroup ulong* mem, uint2 tg, uint tid, uint sg, uint lane) {
	constexpr uint QB = 1024 / K < 16 ? 1024 / K : 16;
	constexpr uint QB4 = (QB + 3) / 4;
	threadgroup ulong* best = mem;                   // [QB][K]
	threadgroup ulong* cand = mem + QB * K;          // [QB][K]
	threadgroup float* qinv = (threadgroup float*)(mem + 2 * QB * K); // [QB]
	uint q0 = tg.y * QB;
	uint nq = min(QB, p.m - q0);
	uint r0 = tg.x * p.rows_per_group;
	uint r1 = min(p.n, r0 + p.rows_per_group);
	bool largest = p.largest != 0, l2 = p.metric == 1;

	// query factors: 1/||q|| when normalizing, else 1
	for (uint i = sg; i < QB; i += SCAN_THREADS / 32) {
		float ss = 0.0f;
		if (i < nq && p.norm_a && !l2)
			for (uint j = lane; j < p.d; j += 32) {
				float v = load_f(q[ulong(q0 + i) * p.d + j]);
				ss += v * v;
			}
		ss = simd_sum(ss);
		if (lane == 0) qinv[i] = (p.norm_a && !l2) ? 1.0f / max(sqrt(ss), 1e-12f) : 1.0f;
	}
	for (uint i = tid; i < QB * K; i += SCAN_THREADS) best[i] = EMPTY;
	threadgroup_barrier(mem_flags::mem_threadgroup);

	for (uint c0 = r0; c0 < r1; c0 += K) {
		// score rows c0 .. c0+K, one SIMD group per row
		for (uint c = sg; c < K; c += SCAN_THREADS / 32) {
			uint r = c0 + c;
			if (r >= r1) {
				if (lane < QB)
					for (uint i = lane; i < QB; i += 32) cand[i * K + c] = EMPTY;
				continue;
			}
			if (MASK && ((bits[r >> 5] >> (r & 31u)) & 1u) == 0u) { // uniform in the SIMD group
				float bad = as_type<float>(largest ? 0xff800000u : 0x7f800000u);
				for (uint i = lane; i < QB; i += 32) cand[i * K + c] = i < nq ? pack(order_key(bad, largest), r) : EMPTY;
				continue;
			}
			float s = scales ? scales[r] : 1.0f;
			ulong at = ulong(r) * p.d;
			// four queries a float4, so that one simd_sum reduces four scores
			float4 acc[QB4];
			for (uint i = 0; i < QB4; i++) acc[i] = float4(0.0f);
			float ss = 0.0f;
			for (uint j = lane; j < p.d; j += 32) {
				float v = row_value(x, at + j);
				if (l2) {
					v *= s;
					for (uint i = 0; i < nq; i++) {
						float diff = load_f(q[ulong(q0 + i) * p.d + j]) - v;
						acc[i / 4][i % 4] += diff * diff;
					}
				} else {
					ss += v * v;
					for (uint i = 0; i < nq; i++) acc[i / 4][i % 4] += load_f(q[ulong(q0 + i) * p.d + j]) * v;
				}
			}
			float f = 1.0f;
			if (!l2) {
				ss = simd_sum(ss);
				f = p.norm_b ? s / max(s * sqrt(ss), 1e-12f) : s;
			}
			for (uint i4 = 0; i4 < QB4; i4++) {
				float4 score = float4(0.0f);
				if (4 * i4 < nq) score = simd_sum(acc[i4]);
				if (lane == 0)
					for (uint j = 0; j < 4; j++) {
						uint i = 4 * i4 + j;
						if (i >= QB) break;
						cand[i * K + c] = i < nq ? pack(order_key(l2 ? score[j] : score[j] * qinv[i] * f, largest), r) : EMPTY;
					}
			}
		}
		threadgroup_barrier(mem_flags::mem_threadgroup);
		bitonic_sort(cand, QB * K, K, tid, SCAN_THREADS);
		bitonic_merge(best, cand, QB * K, K, tid, SCAN_THREADS);
	}
	for (uint i = 0; i < nq; i++)
		for (uint r = tid; r < K; r += SCAN_THREADS)
			partial[(ulong(q0 + i) * p.groups + tg.x) * K + r] = best[i * K + r];
}

template <uint K>
void merge(device const ulong* partial, device float* values, device long* indices, constant MergeParams& p,
	threadgroup ulong* mem, uint query, uint tid, uint nthreads) {
	threadgroup ulong* best = mem;    // [K]
	threadgroup ulong* cand = mem + K; // [K]
	for (uint i = tid; i < K; i += nthreads) best[i] = EMPTY;
	threadgroup_barrier(mem_flags::mem_threadgroup);
	for (uint g = 0; g < p.lists; g++) {
		for (uint i = tid; i < K; i += nthreads) cand[i] = partial[(ulong(query) * p.lists + g) * K + i];
		threadgroup_barrier(mem_flags::mem_threadgroup);
		bitonic_merge(best, cand, K, K, tid, nthreads);
	}
	bool largest = p.largest != 0;
	for (uint i = tid; i < p.k; i += nthreads) {
		ulong v = best[i];
		values[ulong(query) * p.k + i] = key_value(uint(v >> 32), largest);
		indices[ulong(query) * p.k + i] = long(uint(v));
	}
}

#define SCAN(TQ, TX, name, K)                                                                             \
	kernel void cosine_topk_scan_##name##_##K(device const TQ* q [[buffer(0)]],                          \
		device const TX* x [[buffer(1)]], device ulong* partial [[buffer(2)]],                          \
		constant ScanParams& p [[buffer(3)]], threadgroup ulong* mem [[threadgroup(0)]],                \
		uint2 tg [[threadgroup_position_in_grid]], uint tid [[thread_index_in_threadgroup]],            \
		uint sg [[simdgroup_index_in_threadgroup]], uint lane [[thread_index_in_simdgroup]]) {          \
		scan<TQ, TX, K, false>(q, x, nullptr, nullptr, partial, p, mem, tg, tid, sg, lane);             \
	}                                                                                                 \
	kernel void cosine_topk_scanmask_##name##_##K(device const TQ* q [[buffer(0)]],                      \
		device const TX* x [[buffer(1)]], device ulong* partial [[buffer(2)]],                          \
		constant ScanParams& p [[buffer(3)]], device const uint* bits [[buffer(4)]],                    \
		threadgroup ulong* mem [[threadgroup(0)]], uint2 tg [[threadgroup_position_in_grid]],           \
		uint tid [[thread_index_in_threadgroup]], uint sg [[simdgroup_index_in_threadgroup]],           \
		uint lane [[thread_index_in_simdgroup]]) {                                                      \
		scan<TQ, TX, K, true>(q, x, nullptr, bits, partial, p, mem, tg, tid, sg, lane);                 \
	}
#define SCAN_INT8(K)                                                                                      \
	kernel void cosine_topk_scan_int8_##K(device const float* q [[buffer(0)]],                           \
		device const char* x [[buffer(1)]], device ulong* partial [[buffer(2)]],                        \
		constant ScanParams& p [[buffer(3)]], device const float* scales [[buffer(4)]],                 \
		threadgroup ulong* mem [[threadgroup(0)]], uint2 tg [[threadgroup_position_in_grid]],           \
		uint tid [[thread_index_in_threadgroup]], uint sg [[simdgroup_index_in_threadgroup]],           \
		uint lane [[thread_index_in_simdgroup]]) {                                                      \
		scan<float, char, K, false>(q, x, scales, nullptr, partial, p, mem, tg, tid, sg, lane);         \
	}                                                                                                 \
	kernel void cosine_topk_scanmask_int8_##K(device const float* q [[buffer(0)]],                       \
		device const char* x [[buffer(1)]], device ulong* partial [[buffer(2)]],                        \
		constant ScanParams& p [[buffer(3)]], device const float* scales [[buffer(4)]],                 \
		device const uint* bits [[buffer(5)]], threadgroup ulong* mem [[threadgroup(0)]],               \
		uint2 tg [[threadgroup_position_in_grid]], uint tid [[thread_index_in_threadgroup]],            \
		uint sg [[simdgroup_index_in_threadgroup]], uint lane [[thread_index_in_simdgroup]]) {          \
		scan<float, char, K, true>(q, x, scales, bits, partial, p, mem, tg, tid, sg, lane);             \
	}
#define MERGE(K)                                                                                          \
	kernel void cosine_topk_merge_float32_##K(device const ulong* partial [[buffer(0)]],                 \
		device float* values [[buffer(1)]], device long* indices [[buffer(2)]],                         \
		constant MergeParams& p [[buffer(3)]], threadgroup ulong* mem [[threadgroup(0)]],               \
		uint query [[threadgroup_position_in_grid]], uint tid [[thread_index_in_threadgroup]],          \
		uint nthreads [[threads_per_threadgroup]]) {                                                    \
		merge<K>(partial, values, indices, p, mem, query, tid, nthreads);                               \
	}
#define SCAN_K(K)                         \
	SCAN(float, float, float32, K)    \
	SCAN(half, half, float16, K)      \
	SCAN(bf16, bf16, bfloat16, K)     \
	SCAN_INT8(K)                      \
	MERGE(K)

SCAN_K(32)
SCAN_K(64)
SCAN_K(128)
SCAN_K(256)
SCAN_K(512)
SCAN_K(1024)
