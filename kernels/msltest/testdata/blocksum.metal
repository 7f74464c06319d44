#include <metal_stdlib>
using namespace metal;

struct Params {
	uint n;
};

// block_sum: each threadgroup sums its block of 256*4 elements: each thread
// adds four, SIMD groups reduce with simd_sum, and the first SIMD group
// adds the partial sums from threadgroup memory.
kernel void block_sum(device const float* x [[buffer(0)]],
	device float* out [[buffer(1)]],
	constant Params& p [[buffer(2)]],
	threadgroup float* partial [[threadgroup(0)]],
	uint tg [[threadgroup_position_in_grid]],
	uint tid [[thread_index_in_threadgroup]],
	uint lane [[thread_index_in_simdgroup]],
	uint sg [[simdgroup_index_in_threadgroup]],
	uint nsg [[simdgroups_per_threadgroup]]) {
	float s = 0;
	for (uint j = 0; j < 4; j++) {
		uint i = (tg * 4 + j) * 256 + tid;
		if (i < p.n) s += x[i];
	}
	s = simd_sum(s);
	if (lane == 0) partial[sg] = s;
#ifndef BROKEN_NO_BARRIER
	threadgroup_barrier(mem_flags::mem_threadgroup);
#endif
	if (sg == 0) {
		float t = lane < nsg ? partial[lane] : 0.0f;
		t = simd_sum(t);
		if (lane == 0) out[tg] = t;
	}
}
