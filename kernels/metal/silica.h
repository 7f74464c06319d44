// silica.h: what Silica's MSL kernels share. Every kernels/metal/*.metal
// includes it; kernels.LibrarySource inlines it for newLibraryWithSource.
//
// Conventions
//   - Element types: float, half, and bfloat16 carried as struct bf16
//     (its bits; converted here, so no Metal 3.1 bfloat is needed), char
//     for int8. Arithmetic and accumulation are in float.
//   - Params structs hold 4-byte fields only (no padding); each mirrors a
//     Go packer in package kernels (see the comment on each).
//   - Threadgroup memory is passed as [[threadgroup(n)]] parameters, sized
//     by the manifest (kernels.Kernel.ThreadgroupMemory).
//   - Compile with fast math off: NaN and infinities follow IEEE rules.
#ifndef SILICA_H
#define SILICA_H

#include <metal_stdlib>
using namespace metal;

// ---- element types -------------------------------------------------------

// bf16 is a distinct scalar type (an enum over its bits), so that
// templates tell it from ushort and values copy between address spaces.
enum class bf16 : ushort {};

inline float load_f(float v) { return v; }
inline float load_f(half v) { return float(v); }
inline float load_f(bf16 v) { return as_type<float>(uint(ushort(v)) << 16); }
inline float load_f(char v) { return float(v); }

template <class T> inline T store_f(float v);
template <> inline float store_f<float>(float v) { return v; }
template <> inline half store_f<half>(float v) { return half(v); }
// Round to nearest even; NaN stays a quiet NaN with its sign (as package half).
template <> inline bf16 store_f<bf16>(float v) {
	uint u = as_type<uint>(v);
	if ((u & 0x7fffffffu) > 0x7f800000u) {
		return bf16(ushort((u >> 16) | 0x40u));
	}
	u += 0x7fffu + ((u >> 16) & 1u);
	return bf16(ushort(u >> 16));
}

// origin makes a simdgroup_matrix origin (x: column, y: row); the harness
// subset has no two-argument vector constructors.
inline ulong2 origin(ulong x, ulong y) {
	ulong2 o;
	o.x = x;
	o.y = y;
	return o;
}

// ---- the C math names of engine.Program.Source ---------------------------
// A fused element-wise body calls these (engine.Elementwise.C); they live in namespace silica so
// that code inside it finds them before any global C library names. Every
// float function of the Metal standard library that CUDA and C also have
// has its C name here, so that an element-wise op whose expression calls
// one changes no kernel file; a function MSL lacks (erff, below) is
// written out here from MSL's primitives.
namespace silica {
inline float sqrtf(float x) { return precise::sqrt(x); }
inline float rsqrtf(float x) { return 1.0f / precise::sqrt(x); }
inline float expf(float x) { return precise::exp(x); }
inline float exp2f(float x) { return precise::exp2(x); }
inline float exp10f(float x) { return precise::exp10(x); }
inline float logf(float x) { return precise::log(x); }
inline float log2f(float x) { return precise::log2(x); }
inline float log10f(float x) { return precise::log10(x); }
inline float powf(float a, float b) { return precise::pow(a, b); }
inline float sinf(float x) { return precise::sin(x); }
inline float cosf(float x) { return precise::cos(x); }
inline float tanf(float x) { return precise::tan(x); }
inline float asinf(float x) { return precise::asin(x); }
inline float acosf(float x) { return precise::acos(x); }
inline float atanf(float x) { return precise::atan(x); }
inline float atan2f(float a, float b) { return precise::atan2(a, b); }
inline float sinhf(float x) { return precise::sinh(x); }
inline float coshf(float x) { return precise::cosh(x); }
inline float tanhf(float x) { return precise::tanh(x); }
inline float asinhf(float x) { return precise::asinh(x); }
inline float acoshf(float x) { return precise::acosh(x); }
inline float atanhf(float x) { return precise::atanh(x); }
inline float fabsf(float x) { return fabs(x); }
inline float floorf(float x) { return floor(x); }
inline float ceilf(float x) { return ceil(x); }
inline float truncf(float x) { return trunc(x); }
inline float roundf(float x) { return round(x); }
inline float rintf(float x) { return rint(x); }
inline float fmodf(float a, float b) { return fmod(a, b); }
inline float copysignf(float a, float b) { return copysign(a, b); }
inline float fmaxf(float a, float b) { return fmax(a, b); }
inline float fminf(float a, float b) { return fmin(a, b); }
inline float fmaf(float a, float b, float c) { return fma(a, b, c); }
inline float __int_as_float(uint bits) { return as_type<float>(bits); }

// erff is the error function, which MSL lacks. Below 1 it is
// x + x*P(x*x), P a degree-6 minimax fit of erf(x)/x - 1 over [0, 1]
// (fit error 1.2e-9); from 1 to 3.92 it is 1 - exp(Q(|x|)), Q a degree-8
// fit of log(erfc(x)) over [1, 4] (fit error 8e-9, scaled by erfc <= 0.16
// in the result); past 3.92 erf rounds to +-1 in float32. Coefficients
// fitted for this file (Lawson-weighted least squares, rounded to
// float32). Against math.Erf it is within 1.22 ulp on every float32 with
// a correctly rounded exp (the CPU harness); precise::exp's own error
// adds at most 0.16 of its ulps. NaN gives NaN, +-Inf gives +-1, and the
// sign of zero is kept.
inline float erff(float x) {
	float a = fabs(x);
	if (a < 1.0f) {
		float s = x * x;
		float p = 7.889122207e-05f;
		p = fma(p, s, -8.020841051e-04f);
		p = fma(p, s, 5.189535208e-03f);
		p = fma(p, s, -2.685444430e-02f);
		p = fma(p, s, 1.128360033e-01f);
		p = fma(p, s, -3.761262596e-01f);
		p = fma(p, s, 1.283791661e-01f);
		return fma(x, p, x);
	}
	if (a >= 3.92f) {
		return copysign(1.0f, x);
	}
	float q = 1.599799248e-06f; // NaN reaches here and stays NaN
	q = fma(q, a, -4.529770376e-05f);
	q = fma(q, a, 5.901999539e-04f);
	q = fma(q, a, -4.727672786e-03f);
	q = fma(q, a, 2.632747777e-02f);
	q = fma(q, a, -1.099096462e-01f);
	q = fma(q, a, -6.320134997e-01f);
	q = fma(q, a, -1.130119681e+00f);
	q = fma(q, a, 2.910125186e-04f);
	return copysign(1.0f - precise::exp(q), x);
}
} // namespace silica

// ---- params structs (Go packers in package kernels) ----------------------

// RowsParams: rows of cols elements (normalize, quantize, norms).
struct RowsParams {
	uint rows;
	uint cols;
};

// ReduceParams: the input viewed as [outer, length, inner], reduced along
// length.
struct ReduceParams {
	uint outer;
	uint length;
	uint inner;
};

// FusedParams: n output elements of shape dims (padded to 4 on the left);
// strides[i] are input i's element strides per output dimension
// (engine.BroadcastStrides), 0 along broadcast dimensions, for up to 8
// inputs.
struct FusedParams {
	uint n;
	uint dims[4];
	uint strides[8][4];
};

// MatmulParams: y[m, n] = op(a) op(b), op(a) [m, k], op(b) [k, n]; a is
// stored [m, k] (or [k, m] when trans_a), b [k, n] (or [n, k] when
// trans_b). epilogue 0: y = dot, times sa[i] when scale_a and sb[j] when
// scale_b (and the int8 row scale of b); 1: y = max(sa[i] + sb[j] - 2 dot,
// 0), the squared L2 distance from squared norms.
struct MatmulParams {
	uint m;
	uint n;
	uint k;
	uint trans_a;
	uint trans_b;
	uint epilogue;
	uint scale_a;
	uint scale_b;
};

// TopkParams: rows of n scores; the k best of each (largest when
// largest != 0); cap is the candidate capacity per row of the scratch.
struct TopkParams {
	uint rows;
	uint n;
	uint k;
	uint largest;
};

// MaskParams: total scores, rows of n; a score whose row fails the
// bitmap becomes -Inf when largest != 0, else +Inf (engine.OpMaskRows).
struct MaskParams {
	uint total;
	uint n;
	uint largest;
};

// ScanParams: m queries [m, d] against n stored rows [n, d]; threadgroup
// (g, qb) scans rows [g*rows_per_group, min(n, (g+1)*rows_per_group)) for
// queries [qb*QB, ...) and writes its k best per query to the partial
// lists. metric 0 is the dot product (norm_a/norm_b normalize the query
// and stored rows on the fly), 1 the squared L2 distance.
struct ScanParams {
	uint m;
	uint n;
	uint d;
	uint k;
	uint largest;
	uint metric;
	uint norm_a;
	uint norm_b;
	uint rows_per_group;
	uint groups;
};

// MergeParams: m queries, each with lists sorted partial lists of kp
// (a power of two) packed candidates; the k best go to the outputs.
struct MergeParams {
	uint m;
	uint lists;
	uint kp;
	uint k;
	uint largest;
};

// GatherParams: r output rows of row_elems elements from a source of n rows.
struct GatherParams {
	uint r;
	uint n;
	uint row_elems;
};

// SliceParams: rows x cols output elements from a source with src_cols
// columns, starting at (r0, c0).
struct SliceParams {
	uint rows;
	uint cols;
	uint src_cols;
	uint r0;
	uint c0;
};

// CastParams: n elements.
struct CastParams {
	uint n;
};

// ---- ranking ------------------------------------------------------------
// A candidate is ranked by a 32-bit key, smaller first: the score's bits
// made monotonic, inverted for largest-first, NaN last (0xffffffff), -0 as
// +0. Packed as key << 32 | index into a ulong, ascending order is the
// engine's order: best first, ties to the smaller index, NaN after every
// number. The empty candidate is all ones (after everything, NaN included,
// since indices are below 0xffffffff).
constant ulong EMPTY = 0xfffffffffffffffful;

inline uint order_key(float v, bool largest) {
	if (isnan(v)) return 0xffffffffu;
	uint u = as_type<uint>(v == 0.0f ? 0.0f : v);
	u = (u & 0x80000000u) ? ~u : (u | 0x80000000u); // ascending with v
	return largest ? ~u : u;
}

inline float key_value(uint key, bool largest) {
	if (key == 0xffffffffu) return as_type<float>(0x7fc00000u);
	uint u = largest ? ~key : key;
	u = (u & 0x80000000u) ? (u & 0x7fffffffu) : ~u;
	return as_type<float>(u);
}

inline ulong pack(uint key, uint index) { return (ulong(key) << 32) | ulong(index); }

// bitonic_sort sorts each aligned segment of seg (a power of two)
// packed candidates of v[0, n) ascending, all segments at once, with the
// threadgroup's nthreads threads; every thread of the threadgroup must
// call it (it has barriers).
inline void bitonic_sort(threadgroup ulong* v, uint n, uint seg, uint tid, uint nthreads) {
	for (uint size = 2; size <= seg; size <<= 1) {
		for (uint stride = size >> 1; stride > 0; stride >>= 1) {
			for (uint t = tid; t < n / 2; t += nthreads) {
				uint i = 2 * t - (t & (stride - 1));
				uint j = i + stride;
				bool up = (i & size & (seg - 1)) == 0;
				ulong a = v[i], b = v[j];
				if ((a > b) == up) {
					v[i] = b;
					v[j] = a;
				}
			}
			threadgroup_barrier(mem_flags::mem_threadgroup);
		}
	}
}

// bitonic_merge keeps in each segment of best (sorted ascending) the seg
// smallest of it and the same segment of cand (sorted ascending), sorted
// ascending; cand is left as it was. Every thread of the threadgroup must
// call it.
inline void bitonic_merge(threadgroup ulong* best, threadgroup const ulong* cand, uint n, uint seg, uint tid,
	uint nthreads) {
	// best[i] against cand's mirror: the smaller of each pair forms a
	// bitonic sequence holding the seg smallest of both.
	for (uint i = tid; i < n; i += nthreads) {
		uint base = i & ~(seg - 1), r = i & (seg - 1);
		ulong a = best[i], b = cand[base + seg - 1 - r];
		best[i] = a < b ? a : b;
	}
	threadgroup_barrier(mem_flags::mem_threadgroup);
	for (uint stride = seg >> 1; stride > 0; stride >>= 1) {
		for (uint t = tid; t < n / 2; t += nthreads) {
			uint i = 2 * t - (t & (stride - 1));
			uint j = i + stride;
			ulong a = best[i], b = best[j];
			if (a > b) {
				best[i] = b;
				best[j] = a;
			}
		}
		threadgroup_barrier(mem_flags::mem_threadgroup);
	}
}

#endif
