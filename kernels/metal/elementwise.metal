// elementwise: the engine's unary, binary and FMA ops with NumPy
// broadcasting (engine.BroadcastStrides), one thread per output element,
// computed in float and rounded once to the output type. The semantics,
// NaN included, are engine.ApplyElementwise's. Fused chains are generated
// from engine.Program.Source by package kernels (fused.tmpl), not here.
#include "silica.h"

// offset returns input `in`'s element offset for output element i.
inline ulong offset(constant ElementwiseParams& p, uint in, uint i) {
	uint i3 = i % p.dims[3];
	uint r = i / p.dims[3];
	uint i2 = r % p.dims[2];
	r /= p.dims[2];
	uint i1 = r % p.dims[1];
	uint i0 = r / p.dims[1];
	return ulong(i0) * p.strides[in][0] + ulong(i1) * p.strides[in][1] + ulong(i2) * p.strides[in][2] +
		ulong(i3) * p.strides[in][3];
}

inline float nan_max(float a, float b) { return (isnan(a) || isnan(b)) ? a + b : fmax(a, b); }
inline float nan_min(float a, float b) { return (isnan(a) || isnan(b)) ? a + b : fmin(a, b); }

#define UNARY(op, expr)                                                                              \
	template <class T>                                                                           \
	void unary_##op(device const T* x, device T* y, constant ElementwiseParams& p, uint i) {      \
		if (i >= p.n) return;                                                                \
		float a = load_f(x[offset(p, 0, i)]);                                                \
		y[i] = store_f<T>(expr);                                                             \
	}
UNARY(neg, -a)
UNARY(abs, fabs(a))
UNARY(sqrt, precise::sqrt(a))
UNARY(rsqrt, 1.0f / precise::sqrt(a))
UNARY(exp, precise::exp(a))
UNARY(log, precise::log(a))
UNARY(scale, a * p.scalar)

#define BINARY(op, expr)                                                                                          \
	template <class T>                                                                                        \
	void binary_##op(device const T* x, device const T* z, device T* y, constant ElementwiseParams& p, uint i) { \
		if (i >= p.n) return;                                                                             \
		float a = load_f(x[offset(p, 0, i)]);                                                             \
		float b = load_f(z[offset(p, 1, i)]);                                                             \
		y[i] = store_f<T>(expr);                                                                          \
	}
BINARY(add, a + b)
BINARY(sub, a - b)
BINARY(mul, a * b)
BINARY(div, a / b)
BINARY(max, nan_max(a, b))
BINARY(min, nan_min(a, b))

template <class T>
void ternary_fma(device const T* a, device const T* b, device const T* c, device T* y,
	constant ElementwiseParams& p, uint i) {
	if (i >= p.n) return;
	y[i] = store_f<T>(fma(load_f(a[offset(p, 0, i)]), load_f(b[offset(p, 1, i)]), load_f(c[offset(p, 2, i)])));
}

#define UNARY_KERNEL(op, T, name)                                                                       \
	kernel void elementwise_##op##_##name(device const T* a [[buffer(0)]], device T* y [[buffer(1)]], \
		constant ElementwiseParams& p [[buffer(2)]], uint i [[thread_position_in_grid]]) {          \
		unary_##op<T>(a, y, p, i);                                                                  \
	}
#define BINARY_KERNEL(op, T, name)                                                                          \
	kernel void elementwise_##op##_##name(device const T* a [[buffer(0)]], device const T* b [[buffer(1)]], \
		device T* y [[buffer(2)]], constant ElementwiseParams& p [[buffer(3)]],                         \
		uint i [[thread_position_in_grid]]) {                                                           \
		binary_##op<T>(a, b, y, p, i);                                                                  \
	}
#define ELEMENTWISE_TYPE(T, name)                                                                           \
	UNARY_KERNEL(neg, T, name)                                                                          \
	UNARY_KERNEL(abs, T, name)                                                                          \
	UNARY_KERNEL(sqrt, T, name)                                                                         \
	UNARY_KERNEL(rsqrt, T, name)                                                                        \
	UNARY_KERNEL(exp, T, name)                                                                          \
	UNARY_KERNEL(log, T, name)                                                                          \
	UNARY_KERNEL(scale, T, name)                                                                        \
	BINARY_KERNEL(add, T, name)                                                                         \
	BINARY_KERNEL(sub, T, name)                                                                         \
	BINARY_KERNEL(mul, T, name)                                                                         \
	BINARY_KERNEL(div, T, name)                                                                         \
	BINARY_KERNEL(max, T, name)                                                                         \
	BINARY_KERNEL(min, T, name)                                                                         \
	kernel void elementwise_fma_##name(device const T* a [[buffer(0)]], device const T* b [[buffer(1)]], \
		device const T* c [[buffer(2)]], device T* y [[buffer(3)]],                                 \
		constant ElementwiseParams& p [[buffer(4)]], uint i [[thread_position_in_grid]]) {          \
		ternary_fma<T>(a, b, c, y, p, i);                                                           \
	}

ELEMENTWISE_TYPE(float, float32)
ELEMENTWISE_TYPE(half, float16)
ELEMENTWISE_TYPE(bf16, bfloat16)
