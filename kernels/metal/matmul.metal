// matmul: y = op(a) op(b) in float32 (engine.OpMatMul), and the same
// product with per-row factors (engine.OpNormMatMul: rows normalized
// through their inverse norms, int8 rows through their scales) or as
// squared L2 distances (engine.OpL2Distance).
//
// Tiling: a threadgroup of 4 SIMD groups computes a 32x32 block of y,
// each SIMD group a 16x16 quarter as 2x2 simdgroup_float8x8 accumulators.
// The k dimension advances 16 at a time: the threads stage op(a)'s 32x16
// and op(b)'s 16x32 tiles in threadgroup memory as float (converting from
// half, bfloat16 or int8, reading through the transposes, zero outside the
// matrices), then each SIMD group multiplies-accumulates 8x8 fragments.
// The result goes through threadgroup memory so that the edges are stored
// with bounds checks and the epilogue applies its factors.
#include "silica.h"

constant uint BM = 32, BN = 32, BK = 16;
constant uint TILE_A = BM * BK, TILE_B = BK * BN; // floats

template <class TA, class TB>
void matmul_tiled(device const TA* a, device const TB* b, device float* y, constant MatmulParams& p,
	device const float* sa, device const float* sb, device const float* qscale, threadgroup float* mem,
	uint2 tg, uint tid, uint sg) {
	threadgroup float* as = mem;                   // [BM][BK]
	threadgroup float* bs = mem + TILE_A;          // [BK][BN]
	threadgroup float* cs = mem + TILE_A + TILE_B; // [BM][BN]
	uint m0 = tg.y * BM, n0 = tg.x * BN;
	uint sr = (sg / 2) * 16, sc = (sg % 2) * 16; // this SIMD group's quarter

	simdgroup_float8x8 acc[2][2];
	for (uint i = 0; i < 2; i++)
		for (uint j = 0; j < 2; j++) acc[i][j] = make_filled_simdgroup_matrix<float, 8, 8>(0.0f);

	for (uint k0 = 0; k0 < p.k; k0 += BK) {
		for (uint e = tid; e < TILE_A; e += 128) {
			uint i = e / BK, kk = e % BK;
			uint r = m0 + i, c = k0 + kk;
			float v = 0.0f;
			if (r < p.m && c < p.k) v = load_f(p.trans_a ? a[ulong(c) * p.m + r] : a[ulong(r) * p.k + c]);
			as[e] = v;
		}
		for (uint e = tid; e < TILE_B; e += 128) {
			uint kk = e / BN, j = e % BN;
			uint r = k0 + kk, c = n0 + j;
			float v = 0.0f;
			if (r < p.k && c < p.n) v = load_f(p.trans_b ? b[ulong(c) * p.k + r] : b[ulong(r) * p.n + c]);
			bs[e] = v;
		}
		threadgroup_barrier(mem_flags::mem_threadgroup);
		for (uint kk = 0; kk < BK; kk += 8) {
			simdgroup_float8x8 fa[2], fb[2];
			for (uint i = 0; i < 2; i++) simdgroup_load(fa[i], as, BK, origin(kk, sr + 8 * i));
			for (uint j = 0; j < 2; j++) simdgroup_load(fb[j], bs, BN, origin(sc + 8 * j, kk));
			for (uint i = 0; i < 2; i++)
				for (uint j = 0; j < 2; j++) simdgroup_multiply_accumulate(acc[i][j], fa[i], fb[j], acc[i][j]);
		}
		threadgroup_barrier(mem_flags::mem_threadgroup);
	}
	for (uint i = 0; i < 2; i++)
		for (uint j = 0; j < 2; j++) simdgroup_store(acc[i][j], cs, BN, origin(sc + 8 * j, sr + 8 * i));
	threadgroup_barrier(mem_flags::mem_threadgroup);
	for (uint e = tid; e < BM * BN; e += 128) {
		uint r = m0 + e / BN, c = n0 + e % BN;
		if (r >= p.m || c >= p.n) continue;
		float v = cs[e];
		if (p.epilogue == 1) {
			v = max(sa[r] + sb[c] - 2.0f * v, 0.0f);
		} else {
			if (p.scale_a) v *= sa[r];
			if (qscale) v *= qscale[c];
			if (p.scale_b) v *= sb[c];
		}
		y[ulong(r) * p.n + c] = v;
	}
}

#define MATMUL(TA, aname)                                                                               \
	kernel void matmul_tiled_##aname(device const TA* a [[buffer(0)]], device const TA* b [[buffer(1)]], \
		device float* y [[buffer(2)]], constant MatmulParams& p [[buffer(3)]],                          \
		device const float* sa [[buffer(4)]], device const float* sb [[buffer(5)]],                     \
		threadgroup float* mem [[threadgroup(0)]], uint2 tg [[threadgroup_position_in_grid]],           \
		uint tid [[thread_index_in_threadgroup]], uint sg [[simdgroup_index_in_threadgroup]]) {         \
		matmul_tiled<TA, TA>(a, b, y, p, sa, sb, nullptr, mem, tg, tid, sg);                            \
	}

MATMUL(float, float32)
MATMUL(half, float16)
MATMUL(bf16, bfloat16)

// int8 rows (b) with their scales; a is float32, the only type the
// engine pairs with dequantized rows.
#define MATMUL_INT8(TA, aname)                                                                          \
	kernel void matmul_tiled_##aname##_int8(device const TA* a [[buffer(0)]],                            \
		device const char* b [[buffer(1)]], device float* y [[buffer(2)]],                              \
		constant MatmulParams& p [[buffer(3)]], device const float* sa [[buffer(4)]],                   \
		device const float* sb [[buffer(5)]], device const float* qscale [[buffer(6)]],                 \
		threadgroup float* mem [[threadgroup(0)]], uint2 tg [[threadgroup_position_in_grid]],           \
		uint tid [[thread_index_in_threadgroup]], uint sg [[simdgroup_index_in_threadgroup]]) {         \
		matmul_tiled<TA, char>(a, b, y, p, sa, sb, qscale, mem, tg, tid, sg);                           \
	}

MATMUL_INT8(float, float32)
