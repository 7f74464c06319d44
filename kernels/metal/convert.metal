// convert: casts between every pair of dtypes (engine.OpCast) and int8
// quantization (engine.OpQuantize, OpDequantize).
//
// Casts follow the CPU backend: float to float rounds to nearest even;
// float to integer truncates toward zero, saturates, and maps NaN to 0;
// integer to integer saturates; integer to float rounds to nearest even
// (through float for 16-bit targets, as the CPU does).
#include "silica.h"

// A value in transit: integers stay exact as long.
struct Elem {
	float f;
	long i;
	bool is_int;
};

inline Elem get(float v) { return Elem{v, 0, false}; }
inline Elem get(half v) { return Elem{float(v), 0, false}; }
inline Elem get(bf16 v) { return Elem{load_f(v), 0, false}; }
inline Elem get(char v) { return Elem{0.0f, long(v), true}; }
inline Elem get(int v) { return Elem{0.0f, long(v), true}; }
inline Elem get(long v) { return Elem{0.0f, v, true}; }

inline long to_int(Elem e, long lo, long hi) {
	if (e.is_int) return e.i < lo ? lo : (e.i > hi ? hi : e.i);
	if (isnan(e.f)) return 0;
	if (e.f <= float(lo)) return lo;
	if (e.f >= float(hi)) return hi;
	return long(e.f);
}
inline float to_float(Elem e) { return e.is_int ? float(e.i) : e.f; }

template <class T> inline T put(Elem e);
template <> inline float put<float>(Elem e) { return to_float(e); }
template <> inline half put<half>(Elem e) { return half(to_float(e)); }
template <> inline bf16 put<bf16>(Elem e) { return store_f<bf16>(to_float(e)); }
template <> inline char put<char>(Elem e) { return char(to_int(e, -128, 127)); }
template <> inline int put<int>(Elem e) { return int(to_int(e, -2147483647 - 1, 2147483647)); }
template <> inline long put<long>(Elem e) {
	return to_int(e, -9223372036854775807l - 1, 9223372036854775807l);
}

template <class From, class To>
void cast(device const From* x, device To* y, constant CastParams& p, uint i) {
	if (i >= p.n) return;
	y[i] = put<To>(get(x[i]));
}

#define CAST(F, fname, T, tname)                                                                             \
	kernel void convert_cast_##fname##_##tname(device const F* x [[buffer(0)]], device T* y [[buffer(1)]], \
		constant CastParams& p [[buffer(2)]], uint i [[thread_position_in_grid]]) {                      \
		cast<F, T>(x, y, p, i);                                                                          \
	}
// every pair of distinct types (the engine never casts to the same type)
CAST(float, float32, half, float16)
CAST(float, float32, bf16, bfloat16)
CAST(float, float32, char, int8)
CAST(float, float32, int, int32)
CAST(float, float32, long, int64)
CAST(half, float16, float, float32)
CAST(half, float16, bf16, bfloat16)
CAST(half, float16, char, int8)
CAST(half, float16, int, int32)
CAST(half, float16, long, int64)
CAST(bf16, bfloat16, float, float32)
CAST(bf16, bfloat16, half, float16)
CAST(bf16, bfloat16, char, int8)
CAST(bf16, bfloat16, int, int32)
CAST(bf16, bfloat16, long, int64)
CAST(char, int8, float, float32)
CAST(char, int8, half, float16)
CAST(char, int8, bf16, bfloat16)
CAST(char, int8, int, int32)
CAST(char, int8, long, int64)
CAST(int, int32, float, float32)
CAST(int, int32, half, float16)
CAST(int, int32, bf16, bfloat16)
CAST(int, int32, char, int8)
CAST(int, int32, long, int64)
CAST(long, int64, float, float32)
CAST(long, int64, half, float16)
CAST(long, int64, bf16, bfloat16)
CAST(long, int64, char, int8)
CAST(long, int64, int, int32)

// quantize_rows: one SIMD group per row. scale = max|x| / 127 (1 for a
// zero row), q = round(x / scale) with ties away from zero, clamped to
// ±127. A NaN in the row makes the scale NaN, as on the CPU.
template <class T>
void quantize_rows(device const T* x, device char* q, device float* scales, constant RowsParams& p, uint row,
	uint lane) {
	if (row >= p.rows) return;
	ulong base = ulong(row) * p.cols;
	float m = 0.0f;
	for (uint j = lane; j < p.cols; j += 32) {
		float a = fabs(load_f(x[base + j]));
		m = (isnan(m) || isnan(a)) ? m + a : max(m, a);
	}
	for (ushort s = 16; s > 0; s >>= 1) {
		float o = simd_shuffle_xor(m, s);
		m = (isnan(m) || isnan(o)) ? m + o : max(m, o);
	}
	float scale = m / 127.0f;
	if (scale == 0.0f) scale = 1.0f;
	for (uint j = lane; j < p.cols; j += 32) {
		float r = round(load_f(x[base + j]) / scale);
		q[base + j] = char(clamp(r, -127.0f, 127.0f));
	}
	if (lane == 0) scales[row] = scale;
}

#define QUANTIZE(T, name)                                                                                    \
	kernel void convert_quantize_##name(device const T* x [[buffer(0)]], device char* q [[buffer(1)]],    \
		device float* scales [[buffer(2)]], constant RowsParams& p [[buffer(3)]],                       \
		uint tg [[threadgroup_position_in_grid]], uint sg [[simdgroup_index_in_threadgroup]],           \
		uint nsg [[simdgroups_per_threadgroup]], uint lane [[thread_index_in_simdgroup]]) {             \
		quantize_rows<T>(x, q, scales, p, tg * nsg + sg, lane);                                         \
	}
QUANTIZE(float, float32)
QUANTIZE(half, float16)
QUANTIZE(bf16, bfloat16)

// dequantize: y = q * scale of its row, one thread per element.
kernel void convert_dequantize_int8(device const char* q [[buffer(0)]], device const float* scales [[buffer(1)]],
	device float* y [[buffer(2)]], constant RowsParams& p [[buffer(3)]], uint i [[thread_position_in_grid]]) {
	if (i >= p.rows * p.cols) return;
	y[i] = float(q[i]) * scales[i / p.cols];
}
