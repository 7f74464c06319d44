// reduce: sum, max and L2 norm along one axis (engine.OpSum, OpReduceMax,
// OpNorm), float32 results accumulated in float32. The input is viewed as
// [outer, length, inner].
//   - *_last (inner == 1): one SIMD group per output; lanes stride along
//     the row and combine with a butterfly of simd_shuffle_xor.
//   - *_strided (inner > 1): one thread per output, reading down the
//     axis; neighbouring threads read neighbouring addresses.
//   - segment_* (engine.OpSegmentSum, OpSegmentMax): sums and maxima over
//     segments of rows packed one after another, [n, h]. A threadgroup
//     of 8 SIMD groups takes one segment and 32 columns (a tile): lane c
//     of each SIMD group column c of the tile, SIMD group g the segment's
//     rows g, g+8, ... (so a SIMD group reads 32 neighbouring elements of
//     a row), then SIMD group 0 combines the 8 partial results, in order,
//     through threadgroup memory.
// max propagates NaN (Metal's max and fmax ignore it).
#include "silica.h"

struct SumOp {
	static float init() { return 0.0f; }
	static float add(float acc, float v) { return acc + v; }
	static float combine(float a, float b) { return a + b; }
	static float finish(float a) { return a; }
};
struct NormOp {
	static float init() { return 0.0f; }
	static float add(float acc, float v) { return fma(v, v, acc); }
	static float combine(float a, float b) { return a + b; }
	static float finish(float a) { return sqrt(a); }
};
struct MaxOp {
	static float init() { return -numeric_limits<float>::infinity(); }
	static float add(float acc, float v) { return (isnan(acc) || isnan(v)) ? acc + v : max(acc, v); }
	static float combine(float a, float b) { return add(a, b); }
	static float finish(float a) { return a; }
};

template <class Op, class T>
void reduce_last(device const T* x, device float* y, constant ReduceParams& p, uint row, uint lane) {
	if (row >= p.outer) return;
	ulong base = ulong(row) * p.length;
	float acc = Op::init();
	for (uint j = lane; j < p.length; j += 32) acc = Op::add(acc, load_f(x[base + j]));
	for (ushort m = 16; m > 0; m >>= 1) acc = Op::combine(acc, simd_shuffle_xor(acc, m));
	if (lane == 0) y[row] = Op::finish(acc);
}

template <class Op, class T>
void reduce_strided(device const T* x, device float* y, constant ReduceParams& p, uint gid) {
	if (gid >= p.outer * p.inner) return;
	uint o = gid / p.inner, i = gid % p.inner;
	ulong base = ulong(o) * p.length * p.inner + i;
	float acc = Op::init();
	for (uint l = 0; l < p.length; l++) acc = Op::add(acc, load_f(x[base + ulong(l) * p.inner]));
	y[gid] = Op::finish(acc);
}

#define REDUCE_KERNELS(OP, op, T, name)                                                                 \
	kernel void reduce_##op##_last_##name(device const T* x [[buffer(0)]], device float* y [[buffer(1)]], \
		constant ReduceParams& p [[buffer(2)]], uint tg [[threadgroup_position_in_grid]],               \
		uint sg [[simdgroup_index_in_threadgroup]], uint nsg [[simdgroups_per_threadgroup]],            \
		uint lane [[thread_index_in_simdgroup]]) {                                                      \
		reduce_last<OP, T>(x, y, p, tg * nsg + sg, lane);                                               \
	}                                                                                                   \
	kernel void reduce_##op##_strided_##name(device const T* x [[buffer(0)]],                           \
		device float* y [[buffer(1)]], constant ReduceParams& p [[buffer(2)]],                          \
		uint gid [[thread_position_in_grid]]) {                                                         \
		reduce_strided<OP, T>(x, y, p, gid);                                                            \
	}

#define REDUCE_TYPES(OP, op)                   \
	REDUCE_KERNELS(OP, op, float, float32) \
	REDUCE_KERNELS(OP, op, half, float16)  \
	REDUCE_KERNELS(OP, op, bf16, bfloat16)

REDUCE_TYPES(SumOp, sum)
REDUCE_TYPES(MaxOp, max)
REDUCE_TYPES(NormOp, norm)

// SegmentParams: the dispatch's nseg segments, of x [n, h], are segments
// seg0, seg0+1, ... of the step: their nseg+1 starts (absolute row
// offsets into x) are bound as a second constant buffer, and segment
// seg0+i is row seg0+i of the output (packed by metal.segmentParams).
struct SegmentParams {
	uint h;
	uint nseg;
	uint seg0;
};

// SEGMENT_GROUPS is the SIMD groups of a threadgroup (metal/segment.go's
// segmentThreads / 32).
#define SEGMENT_GROUPS 8

template <class Op, class T>
void segment_reduce(device const T* x, device float* out, constant SegmentParams& p, constant uint* starts,
	threadgroup float* part, uint tg, uint sg, uint lane) {
	uint tiles = (p.h + 31) / 32;
	uint seg = tg / tiles, c = (tg % tiles) * 32 + lane;
	float acc = Op::init();
	if (seg < p.nseg && c < p.h) {
		for (uint r = starts[seg] + sg; r < starts[seg + 1]; r += SEGMENT_GROUPS) acc = Op::add(acc, load_f(x[ulong(r) * p.h + c]));
	}
	part[sg * 32 + lane] = acc;
	threadgroup_barrier(mem_flags::mem_threadgroup);
	if (sg != 0 || seg >= p.nseg || c >= p.h) return;
	for (uint g = 1; g < SEGMENT_GROUPS; g++) acc = Op::combine(acc, part[g * 32 + lane]);
	out[ulong(p.seg0 + seg) * p.h + c] = acc;
}

#define SEGMENT_KERNELS(OP, op, T, name)                                                          \
	kernel void segment_##op##_##name(device const T* x [[buffer(0)]],                           \
		device float* out [[buffer(1)]], constant SegmentParams& p [[buffer(2)]],                \
		constant uint* starts [[buffer(3)]], threadgroup float* part [[threadgroup(0)]],         \
		uint tg [[threadgroup_position_in_grid]], uint sg [[simdgroup_index_in_threadgroup]],    \
		uint lane [[thread_index_in_simdgroup]]) {                                               \
		segment_reduce<OP, T>(x, out, p, starts, part, tg, sg, lane);                            \
	}

#define SEGMENT_TYPES(OP, op)                   \
	SEGMENT_KERNELS(OP, op, float, float32) \
	SEGMENT_KERNELS(OP, op, half, float16)  \
	SEGMENT_KERNELS(OP, op, bf16, bfloat16)

SEGMENT_TYPES(SumOp, sum)
SEGMENT_TYPES(MaxOp, max)
