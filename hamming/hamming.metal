// hamming_topk: the k codes nearest to each query by Hamming distance.
// One threadgroup of GROUP threads per query (threadgroup_position_in_grid
// is the query). Bindings, as engine.KernelSpec documents: 0 queries
// [m, w] uint, 1 codes [n, w] uint, 2 distances [m, k] int, 3 indices
// [m, k] long, 4 parameters (engine.KernelParams: 5 longs per array, then
// the user's k).
#include <metal_stdlib>
using namespace metal;

#define GROUP 256
#define MAX_WORDS 128
#define MAX_BINS (32 * MAX_WORDS + 1)
#define NONE 0xffffffffu

static inline uint code_distance(device const uint *a, device const uint *b, uint w) {
    uint d = 0;
    for (uint j = 0; j < w; j++) {
        d += popcount(a[j] ^ b[j]);
    }
    return d;
}

kernel void hamming_topk(device const uint *q [[buffer(0)]],
                         device const uint *x [[buffer(1)]],
                         device int *dist [[buffer(2)]],
                         device long *idx [[buffer(3)]],
                         constant long *p [[buffer(4)]],
                         uint query [[threadgroup_position_in_grid]],
                         uint tid [[thread_position_in_threadgroup]]) {
    const uint w = (uint)p[4];
    const uint n = (uint)p[8];
    const uint k = (uint)p[14];
    const uint bins = 32 * w + 1;
    device const uint *qc = q + query * w;

    threadgroup atomic_uint hist[MAX_BINS]; // pass 1: counts; pass 2: next rank per distance
    threadgroup uint block[GROUP];          // pass 2: the distances of one block of codes
    threadgroup uint threshold;

    for (uint b = tid; b < bins; b += GROUP) {
        atomic_store_explicit(&hist[b], 0u, memory_order_relaxed);
    }
    threadgroup_barrier(mem_flags::mem_threadgroup);

    // Pass 1: the histogram of distances.
    for (uint r = tid; r < n; r += GROUP) {
        atomic_fetch_add_explicit(&hist[code_distance(qc, x + r * w, w)], 1u, memory_order_relaxed);
    }
    threadgroup_barrier(mem_flags::mem_threadgroup);

    // The distance of the k-th nearest, and each distance's first rank.
    if (tid == 0) {
        uint before = 0, t = bins - 1;
        bool found = false;
        for (uint b = 0; b < bins; b++) {
            uint c = atomic_load_explicit(&hist[b], memory_order_relaxed);
            atomic_store_explicit(&hist[b], before, memory_order_relaxed);
            before += c;
            if (!found && before >= k) {
                t = b;
                found = true;
            }
        }
        threshold = t;
    }
    threadgroup_barrier(mem_flags::mem_threadgroup);
    const uint t = threshold;

    // Pass 2: blocks of GROUP codes in index order; a code at distance
    // d <= t goes to rank hist[d] + (codes at d earlier in its block).
    for (uint base = 0; base < n; base += GROUP) {
        uint r = base + tid;
        uint d = NONE;
        if (r < n) {
            d = code_distance(qc, x + r * w, w);
            if (d > t) {
                d = NONE;
            }
        }
        block[tid] = d;
        threadgroup_barrier(mem_flags::mem_threadgroup);
        uint rank = NONE;
        bool last = false;
        if (d != NONE) {
            uint before = 0, after = 0;
            for (uint j = 0; j < GROUP; j++) {
                if (block[j] == d) {
                    if (j < tid) {
                        before++;
                    } else if (j > tid) {
                        after++;
                    }
                }
            }
            rank = atomic_load_explicit(&hist[d], memory_order_relaxed) + before;
            last = after == 0;
            if (rank < k) {
                dist[query * k + rank] = (int)d;
                idx[query * k + rank] = (long)r;
            }
        }
        // Every thread has read hist before the last code at each distance
        // moves that distance's next rank on.
        threadgroup_barrier(mem_flags::mem_threadgroup);
        if (last) {
            atomic_store_explicit(&hist[d], rank + 1, memory_order_relaxed);
        }
        threadgroup_barrier(mem_flags::mem_threadgroup);
    }
}
