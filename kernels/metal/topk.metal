// topk: the k best of each row of a score matrix (engine.OpTopK), for any
// k <= n: the engine's path when the fused scan's limit (MaxScanK) is
// exceeded, and for plain TopK calls. One threadgroup of 256 threads per
// row, three phases:
//  1. radix select: four passes over the row, each a 256-bin histogram
//     (threadgroup atomics) of the next 8 bits of the ranking key among
//     the keys that match the digits chosen so far, find the key T of the
//     k-th best and how many elements with key T are taken;
//  2. compaction: each thread counts, in its contiguous segment of the
//     row, the keys better than T and equal to T; exclusive sums give
//     each thread its output offsets, so the candidates are written in
//     index order (the first ties by index are the ones taken);
//  3. a stable LSD radix sort of the k candidates by key (eight passes of
//     4 bits, per-thread segment counts, digit-major exclusive sums), in
//     device scratch; ties keep index order.
// Values are re-read from the row, so -0 and NaN payloads come out as
// stored.
//
// mask_rows (engine.OpMaskRows): one thread a score, which it copies as
// float, or replaces by the worst score when its row's bit is clear.
#include "silica.h"

constant uint TK_THREADS = 256;
constant uint TK_BINS = 16; // sort digit: 4 bits

// exclusive_scan replaces a[0, 4096) by its exclusive prefix sums, with
// sums[256] as scratch; returns nothing, all threads must call it.
inline void exclusive_scan(threadgroup uint* a, threadgroup uint* sums, uint tid) {
	uint base = tid * 16, s = 0;
	for (uint i = 0; i < 16; i++) s += a[base + i];
	sums[tid] = s;
	threadgroup_barrier(mem_flags::mem_threadgroup);
	if (tid == 0) {
		uint run = 0;
		for (uint i = 0; i < TK_THREADS; i++) {
			uint v = sums[i];
			sums[i] = run;
			run += v;
		}
	}
	threadgroup_barrier(mem_flags::mem_threadgroup);
	uint run = sums[tid];
	for (uint i = 0; i < 16; i++) {
		uint v = a[base + i];
		a[base + i] = run;
		run += v;
	}
	threadgroup_barrier(mem_flags::mem_threadgroup);
}

template <class T>
void topk_radix(device const T* x, device float* values, device long* indices, constant TopkParams& p,
	device ulong* scratch, threadgroup uint* mem, uint row, uint tid) {
	threadgroup uint* counts = mem;       // [4096]
	threadgroup uint* sums = mem + 4096;  // [256]
	threadgroup uint* state = sums + 256; // prefix, mask, remaining
	bool largest = p.largest != 0;
	ulong base = ulong(row) * p.n;
	device ulong* buf0 = scratch + ulong(row) * 2 * p.k;
	device ulong* buf1 = buf0 + p.k;

	// 1. radix select
	if (tid == 0) {
		state[0] = 0;
		state[1] = 0;
		state[2] = p.k;
	}
	for (int shift = 24; shift >= 0; shift -= 8) {
		for (uint i = tid; i < 256; i += TK_THREADS) counts[i] = 0;
		threadgroup_barrier(mem_flags::mem_threadgroup);
		uint prefix = state[0], mask = state[1];
		threadgroup atomic_uint* hist = (threadgroup atomic_uint*)counts;
		for (uint i = tid; i < p.n; i += TK_THREADS) {
			uint key = order_key(load_f(x[base + i]), largest);
			if ((key & mask) == prefix) atomic_fetch_add_explicit(&hist[(key >> shift) & 255u], 1u, memory_order_relaxed);
		}
		threadgroup_barrier(mem_flags::mem_threadgroup);
		if (tid == 0) {
			uint remaining = state[2], d = 0;
			while (counts[d] < remaining) {
				remaining -= counts[d];
				d++;
			}
			state[0] = prefix | (d << shift);
			state[1] = mask | (255u << shift);
			state[2] = remaining;
		}
		threadgroup_barrier(mem_flags::mem_threadgroup);
	}
	uint thr = state[0], take_eq = state[2];

	// 2. compaction in index order
	uint seg = (p.n + TK_THREADS - 1) / TK_THREADS;
	uint lo = min(tid * seg, p.n), hi = min(lo + seg, p.n);
	uint less = 0, eq = 0;
	for (uint i = lo; i < hi; i++) {
		uint key = order_key(load_f(x[base + i]), largest);
		less += key < thr;
		eq += key == thr;
	}
	counts[tid] = less;
	counts[TK_THREADS + tid] = eq;
	threadgroup_barrier(mem_flags::mem_threadgroup);
	if (tid == 0) {
		uint run = 0;
		for (uint i = 0; i < TK_THREADS; i++) {
			uint v = counts[i];
			counts[i] = run;
			run += v;
		}
		state[3] = run; // keys better than thr
		run = 0;
		for (uint i = 0; i < TK_THREADS; i++) {
			uint v = counts[TK_THREADS + i];
			counts[TK_THREADS + i] = run;
			run += v;
		}
	}
	threadgroup_barrier(mem_flags::mem_threadgroup);
	uint out_less = counts[tid], out_eq = counts[TK_THREADS + tid], total_less = state[3];
	threadgroup_barrier(mem_flags::mem_threadgroup);
	for (uint i = lo; i < hi; i++) {
		uint key = order_key(load_f(x[base + i]), largest);
		if (key < thr) {
			buf0[out_less++] = pack(key, i);
		} else if (key == thr) {
			if (out_eq < take_eq) buf0[total_less + out_eq] = pack(key, i);
			out_eq++;
		}
	}
	threadgroup_barrier(mem_flags::mem_threadgroup | mem_flags::mem_device);

	// 3. stable LSD radix sort of the k candidates by key
	uint kseg = (p.k + TK_THREADS - 1) / TK_THREADS;
	uint klo = min(tid * kseg, p.k), khi = min(klo + kseg, p.k);
	device ulong* src = buf0;
	device ulong* dst = buf1;
	for (uint shift = 32; shift < 64; shift += 4) {
		for (uint d = 0; d < TK_BINS; d++) counts[d * TK_THREADS + tid] = 0;
		for (uint i = klo; i < khi; i++) counts[uint(src[i] >> shift) % TK_BINS * TK_THREADS + tid]++;
		threadgroup_barrier(mem_flags::mem_threadgroup);
		exclusive_scan(counts, sums, tid);
		for (uint i = klo; i < khi; i++) {
			ulong v = src[i];
			uint at = uint(v >> shift) % TK_BINS * TK_THREADS + tid;
			dst[counts[at]++] = v;
		}
		threadgroup_barrier(mem_flags::mem_threadgroup | mem_flags::mem_device);
		device ulong* t = src;
		src = dst;
		dst = t;
	}
	for (uint i = tid; i < p.k; i += TK_THREADS) {
		uint idx = uint(src[i]);
		values[ulong(row) * p.k + i] = load_f(x[base + idx]);
		indices[ulong(row) * p.k + i] = long(idx);
	}
}

#define TOPK(T, name)                                                                                     \
	kernel void topk_radix_##name(device const T* x [[buffer(0)]], device float* values [[buffer(1)]],  \
		device long* indices [[buffer(2)]], constant TopkParams& p [[buffer(3)]],                       \
		device ulong* scratch [[buffer(4)]], threadgroup uint* mem [[threadgroup(0)]],                  \
		uint row [[threadgroup_position_in_grid]], uint tid [[thread_index_in_threadgroup]]) {          \
		topk_radix<T>(x, values, indices, p, scratch, mem, row, tid);                                   \
	}
TOPK(float, float32)
TOPK(half, float16)
TOPK(bf16, bfloat16)

template <class T>
void mask_rows(device const T* x, device const uint* bits, device float* y, constant MaskParams& p, uint i) {
	if (i >= p.total) return;
	uint r = i % p.n;
	float v = load_f(x[i]);
	if (((bits[r >> 5] >> (r & 31u)) & 1u) == 0u) v = as_type<float>(p.largest != 0u ? 0xff800000u : 0x7f800000u);
	y[i] = v;
}

#define MASK(T, name)                                                                                  \
	kernel void topk_mask_##name(device const T* x [[buffer(0)]], device const uint* bits [[buffer(1)]], \
		device float* y [[buffer(2)]], constant MaskParams& p [[buffer(3)]],                          \
		uint i [[thread_position_in_grid]]) {                                                          \
		mask_rows<T>(x, bits, y, p, i);                                                                \
	}
MASK(float, float32)
MASK(half, float16)
MASK(bf16, bfloat16)
