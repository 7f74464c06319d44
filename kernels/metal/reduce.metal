// reduce: sum, max and L2 norm along one axis (engine.OpSum, OpReduceMax,
// OpNorm), float32 results accumulated in float32. The input is viewed as
// [outer, length, inner].
//   - *_last (inner == 1): one SIMD group per output; lanes stride along
//     the row and combine with a butterfly of simd_shuffle_xor.
//   - *_strided (inner > 1): one thread per output, reading down the
//     axis; neighbouring threads read neighbouring addresses.
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
