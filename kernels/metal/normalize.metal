// normalize: L2 row normalization (engine.OpNormalize), layer
// normalization (engine.OpLayerNorm) and the row norms the fused kernels
// use. One SIMD group per row: lanes stride over the
// row, simd_sum adds their partial sums of squares. In place is safe
// (each element is read before it is written, by the same lane).
#include "silica.h"

// normalize_rows: y = x / max(||x||, 1e-12) per row.
template <class T>
void normalize_rows(device const T* x, device T* y, constant RowsParams& p, uint row, uint lane) {
	if (row >= p.rows) return;
	ulong base = ulong(row) * p.cols;
	float ss = 0.0f;
	for (uint j = lane; j < p.cols; j += 32) {
		float v = load_f(x[base + j]);
		ss += v * v;
	}
	ss = simd_sum(ss);
	float inv = 1.0f / max(sqrt(ss), 1e-12f);
	for (uint j = lane; j < p.cols; j += 32) y[base + j] = store_f<T>(load_f(x[base + j]) * inv);
}

// LayerNormParams: rows of cols elements and the eps added to their
// variance (packed by metal.layerNormParams).
struct LayerNormParams {
	uint rows;
	uint cols;
	float eps;
};

// layer_norm_rows: y = (x - mean) / sqrt(var + eps) * gamma + beta per row,
// in float: the mean, then the biased variance from the deviations (a
// second pass, so that a large mean does not cancel the variance), then
// the output.
template <class T>
void layer_norm_rows(device const T* x, device const T* gamma, device const T* beta, device T* y,
	constant LayerNormParams& p, uint row, uint lane) {
	if (row >= p.rows) return;
	ulong base = ulong(row) * p.cols;
	float s = 0.0f;
	for (uint j = lane; j < p.cols; j += 32) s += load_f(x[base + j]);
	float mean = simd_sum(s) / float(p.cols);
	float ss = 0.0f;
	for (uint j = lane; j < p.cols; j += 32) {
		float t = load_f(x[base + j]) - mean;
		ss += t * t;
	}
	float inv = 1.0f / sqrt(simd_sum(ss) / float(p.cols) + p.eps);
	for (uint j = lane; j < p.cols; j += 32)
		y[base + j] = store_f<T>((load_f(x[base + j]) - mean) * inv * load_f(gamma[j]) + load_f(beta[j]));
}

// row_norms: out[row] = 1/max(scale*||x||, 1e-12) (mode 0, the factor
// that normalizes) or (scale*||x||)^2 (mode 1, the squared norm), with
// scale the row's dequantization scale for int8 rows, else 1.
template <class T>
void row_norms(device const T* x, device const float* scales, device float* out, constant RowsParams& p,
	uint mode, uint row, uint lane) {
	if (row >= p.rows) return;
	ulong base = ulong(row) * p.cols;
	float ss = 0.0f;
	for (uint j = lane; j < p.cols; j += 32) {
		float v = load_f(x[base + j]);
		ss += v * v;
	}
	ss = simd_sum(ss);
	float s = scales ? scales[row] : 1.0f;
	if (lane == 0) out[row] = mode == 0 ? 1.0f / max(s * sqrt(ss), 1e-12f) : s * s * ss;
}

#define NORMALIZE_KERNELS(T, name)                                                               \
	kernel void normalize_rows_##name(device const T* x [[buffer(0)]], device T* y [[buffer(1)]],  \
		constant RowsParams& p [[buffer(2)]], uint tg [[threadgroup_position_in_grid]],          \
		uint sg [[simdgroup_index_in_threadgroup]], uint nsg [[simdgroups_per_threadgroup]],     \
		uint lane [[thread_index_in_simdgroup]]) {                                               \
		normalize_rows<T>(x, y, p, tg * nsg + sg, lane);                                         \
	}                                                                                            \
	kernel void normalize_layernorm_##name(device const T* x [[buffer(0)]],                        \
		device const T* gamma [[buffer(1)]], device const T* beta [[buffer(2)]],                 \
		device T* y [[buffer(3)]], constant LayerNormParams& p [[buffer(4)]],                    \
		uint tg [[threadgroup_position_in_grid]], uint sg [[simdgroup_index_in_threadgroup]],    \
		uint nsg [[simdgroups_per_threadgroup]], uint lane [[thread_index_in_simdgroup]]) {      \
		layer_norm_rows<T>(x, gamma, beta, y, p, tg * nsg + sg, lane);                           \
	}                                                                                            \
	kernel void normalize_invnorm_##name(device const T* x [[buffer(0)]],                          \
		device float* out [[buffer(1)]], constant RowsParams& p [[buffer(2)]],                   \
		uint tg [[threadgroup_position_in_grid]], uint sg [[simdgroup_index_in_threadgroup]],    \
		uint nsg [[simdgroups_per_threadgroup]], uint lane [[thread_index_in_simdgroup]]) {      \
		row_norms<T>(x, nullptr, out, p, 0, tg * nsg + sg, lane);                                \
	}                                                                                            \
	kernel void normalize_sqnorm_##name(device const T* x [[buffer(0)]],                           \
		device float* out [[buffer(1)]], constant RowsParams& p [[buffer(2)]],                   \
		uint tg [[threadgroup_position_in_grid]], uint sg [[simdgroup_index_in_threadgroup]],    \
		uint nsg [[simdgroups_per_threadgroup]], uint lane [[thread_index_in_simdgroup]]) {      \
		row_norms<T>(x, nullptr, out, p, 1, tg * nsg + sg, lane);                                \
	}

NORMALIZE_KERNELS(float, float32)
NORMALIZE_KERNELS(half, float16)
NORMALIZE_KERNELS(bf16, bfloat16)

// int8 rows with their dequantization scales (the normalized products of
// NormMatMul; L2 distances over int8 rows run in the fused scan).
kernel void normalize_invnorm_int8(device const char* x [[buffer(0)]], device float* out [[buffer(1)]],
	constant RowsParams& p [[buffer(2)]], device const float* scales [[buffer(3)]],
	uint tg [[threadgroup_position_in_grid]], uint sg [[simdgroup_index_in_threadgroup]],
	uint nsg [[simdgroups_per_threadgroup]], uint lane [[thread_index_in_simdgroup]]) {
	row_norms<char>(x, scales, out, p, 0, tg * nsg + sg, lane);
}
