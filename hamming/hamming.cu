// hamming_topk: the CUDA C twin of hamming.metal (same algorithm, same
// bindings: queries, codes, distances, indices, parameters).
#define GROUP 256
#define MAX_WORDS 128
#define MAX_BINS (32 * MAX_WORDS + 1)
#define NONE 0xffffffffu

__device__ static unsigned code_distance(const unsigned *a, const unsigned *b, unsigned w) {
    unsigned d = 0;
    for (unsigned j = 0; j < w; j++) {
        d += __popc(a[j] ^ b[j]);
    }
    return d;
}

extern "C" __global__ void __launch_bounds__(GROUP)
hamming_topk(const unsigned *q, const unsigned *x, int *dist, long long *idx, const long long *p) {
    const unsigned w = (unsigned)p[4];
    const unsigned n = (unsigned)p[8];
    const unsigned k = (unsigned)p[14];
    const unsigned bins = 32 * w + 1;
    const unsigned query = blockIdx.x, tid = threadIdx.x;
    const unsigned *qc = q + (size_t)query * w;

    __shared__ unsigned hist[MAX_BINS];
    __shared__ unsigned block[GROUP];
    __shared__ unsigned threshold;

    for (unsigned b = tid; b < bins; b += GROUP) hist[b] = 0;
    __syncthreads();
    for (unsigned r = tid; r < n; r += GROUP) {
        atomicAdd(&hist[code_distance(qc, x + (size_t)r * w, w)], 1u);
    }
    __syncthreads();
    if (tid == 0) {
        unsigned before = 0, t = bins - 1;
        bool found = false;
        for (unsigned b = 0; b < bins; b++) {
            unsigned c = hist[b];
            hist[b] = before;
            before += c;
            if (!found && before >= k) {
                t = b;
                found = true;
            }
        }
        threshold = t;
    }
    __syncthreads();
    const unsigned t = threshold;
    for (unsigned base = 0; base < n; base += GROUP) {
        unsigned r = base + tid, d = NONE;
        if (r < n) {
            d = code_distance(qc, x + (size_t)r * w, w);
            if (d > t) d = NONE;
        }
        block[tid] = d;
        __syncthreads();
        unsigned rank = NONE;
        bool last = false;
        if (d != NONE) {
            unsigned before = 0, after = 0;
            for (unsigned j = 0; j < GROUP; j++) {
                if (block[j] == d) {
                    if (j < tid) before++;
                    else if (j > tid) after++;
                }
            }
            rank = hist[d] + before;
            last = after == 0;
            if (rank < k) {
                dist[(size_t)query * k + rank] = (int)d;
                idx[(size_t)query * k + rank] = (long long)r;
            }
        }
        __syncthreads();
        if (last) hist[d] = rank + 1;
        __syncthreads();
    }
}
