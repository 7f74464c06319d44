// gather and slice: row copies (engine.OpGather, OpSlice), one thread per
// output element, moving the element's bits (no conversion): each dtype's
// kernels copy an unsigned integer of its size.
//
// gather validates every index: one outside [0, n) is reported through
// the status buffer (word 0 set to 1 by the first thread that finds one,
// which writes the position and the index) and its row is not written.
#include "silica.h"

template <class S, class I>
void gather_rows(device const S* x, device const I* idx, device S* y, constant GatherParams& p,
	device atomic_uint* status, uint i) {
	if (i >= p.r * p.row_elems) return;
	uint row = i / p.row_elems, col = i % p.row_elems;
	long v = long(idx[row]);
	if (v < 0 || v >= long(p.n)) {
		device uint* words = (device uint*)status;
		uint expected = 0;
		bool won = false;
		// a weak exchange may fail spuriously: retry while the word is 0
		while (!(won = atomic_compare_exchange_weak_explicit(status, &expected, 1u, memory_order_relaxed,
				 memory_order_relaxed)) &&
			expected == 0) {
		}
		if (won) {
			words[1] = row;
			words[2] = uint(ulong(v));
			words[3] = uint(ulong(v) >> 32);
		}
		return;
	}
	y[i] = x[ulong(v) * p.row_elems + col];
}

template <class S>
void slice_rows(device const S* x, device S* y, constant SliceParams& p, uint i) {
	if (i >= p.rows * p.cols) return;
	uint r = i / p.cols, c = i % p.cols;
	y[i] = x[ulong(p.r0 + r) * p.src_cols + p.c0 + c];
}

#define GATHER_KERNEL(S, name, I, iname)                                                                \
	kernel void gather_rows_##name##_##iname(device const S* x [[buffer(0)]],                          \
		device const I* idx [[buffer(1)]], device S* y [[buffer(2)]],                                  \
		constant GatherParams& p [[buffer(3)]], device atomic_uint* status [[buffer(4)]],              \
		uint i [[thread_position_in_grid]]) {                                                          \
		gather_rows<S, I>(x, idx, y, p, status, i);                                                    \
	}
#define COPY_KERNELS(S, name)                                                                           \
	GATHER_KERNEL(S, name, int, int32)                                                             \
	GATHER_KERNEL(S, name, long, int64)                                                            \
	kernel void gather_slice_##name(device const S* x [[buffer(0)]], device S* y [[buffer(1)]],      \
		constant SliceParams& p [[buffer(2)]], uint i [[thread_position_in_grid]]) {               \
		slice_rows<S>(x, y, p, i);                                                                 \
	}

COPY_KERNELS(uint, float32)
COPY_KERNELS(ushort, float16)
COPY_KERNELS(ushort, bfloat16)
COPY_KERNELS(uchar, int8)
COPY_KERNELS(uint, int32)
COPY_KERNELS(ulong, int64)
