// splitbw.cu: how fast a single query's scan reads float32 rows kept as
// two 16-bit planes (bench/cuda/NOTES.md, run 31). Not product code: a
// probe built with nvcc on the lent GPU (bench/cuda/scripts/run31.sh).
//
// Over n rows of d = 768, one warp a row (two rows in flight), the dot
// product of one float32 query with:
//   full   each row's 3072 bytes of float32 (what the store reads today);
//   inrow  the first half of each 3072-byte row: the row's high halves
//          (its bfloat16 truncation) kept ahead of its low halves, so rows
//          keep their stride and only the scan's reads change;
//   plane  a separate bfloat16 plane of n x d (1.5 GB contiguous);
//   inrowb inrow with each row's error bound, sum |q_i| ulp(hi_i), beside
//          the score (what a proof that the truncation cannot reorder
//          the top k needs).
// Each writes one float a row (two for inrowb). Median of 20 runs each.
#include <cstdio>
#include <cstdint>
#include <vector>
#include <algorithm>
#include <cuda_runtime.h>

#define CK(x) do { cudaError_t e = (x); if (e != cudaSuccess) { printf("%s: %s\n", #x, cudaGetErrorString(e)); return 1; } } while (0)

constexpr int D = 768;

__device__ __forceinline__ float bf(uint32_t h) { return __uint_as_float(h << 16); }
__device__ __forceinline__ float ulpOf(uint32_t h) {
	uint32_t e = (h >> 7) & 0xff;
	return e > 7 ? __uint_as_float((e - 7) << 23) : 0.f;
}

// MODE 0 full, 1 inrow, 2 plane, 3 inrowb.
template <int MODE>
__global__ void __launch_bounds__(256) scan(const uint4* __restrict__ x, const float* __restrict__ q, float* __restrict__ out, int n) {
	__shared__ float qs[D];
	for (int i = threadIdx.x; i < D; i += blockDim.x) qs[i] = q[i];
	__syncthreads();
	int lane = threadIdx.x & 31;
	int warp = (blockIdx.x * blockDim.x + threadIdx.x) >> 5;
	int nw = (gridDim.x * blockDim.x) >> 5;
	constexpr int VPR = MODE == 0 ? D / 4 : D / 8; // 16-byte vectors a row reads
	constexpr int STRIDE = MODE == 2 ? D / 8 : D / 4; // 16-byte vectors a row spans
	constexpr int PER = VPR / 32;
	for (int r0 = 2 * warp; r0 < n; r0 += 2 * nw) {
		uint4 v[2][PER];
#pragma unroll
		for (int u = 0; u < 2; u++)
#pragma unroll
			for (int j = 0; j < PER; j++)
				v[u][j] = r0 + u < n ? x[(size_t)(r0 + u) * STRIDE + j * 32 + lane] : make_uint4(0, 0, 0, 0);
#pragma unroll
		for (int u = 0; u < 2; u++) {
			float s = 0, b = 0;
#pragma unroll
			for (int j = 0; j < PER; j++) {
				uint32_t w[4] = {v[u][j].x, v[u][j].y, v[u][j].z, v[u][j].w};
				if (MODE == 0) {
					int c = (j * 32 + lane) * 4;
#pragma unroll
					for (int i = 0; i < 4; i++) s += __uint_as_float(w[i]) * qs[c + i];
				} else {
					int c = (j * 32 + lane) * 8;
#pragma unroll
					for (int i = 0; i < 4; i++) {
						float q0 = qs[c + 2 * i], q1 = qs[c + 2 * i + 1];
						s += bf(w[i] & 0xffff) * q0 + bf(w[i] >> 16) * q1;
						if (MODE == 3) b += fabsf(q0) * ulpOf(w[i] & 0xffff) + fabsf(q1) * ulpOf(w[i] >> 16);
					}
				}
			}
#pragma unroll
			for (int o = 16; o > 0; o >>= 1) {
				s += __shfl_xor_sync(0xffffffffu, s, o);
				if (MODE == 3) b += __shfl_xor_sync(0xffffffffu, b, o);
			}
			if (lane == 0 && r0 + u < n) {
				out[r0 + u] = s;
				if (MODE == 3) out[n + r0 + u] = b;
			}
		}
	}
}

template <int MODE>
float timeIt(const uint4* x, const float* q, float* out, int n, int blocks) {
	cudaEvent_t a, b;
	cudaEventCreate(&a);
	cudaEventCreate(&b);
	std::vector<float> ms;
	for (int rep = 0; rep < 23; rep++) {
		cudaEventRecord(a);
		scan<MODE><<<blocks, 256>>>(x, q, out, n);
		cudaEventRecord(b);
		cudaEventSynchronize(b);
		float t;
		cudaEventElapsedTime(&t, a, b);
		if (rep >= 3) ms.push_back(t);
	}
	std::sort(ms.begin(), ms.end());
	return ms[ms.size() / 2];
}

int main(int argc, char** argv) {
	int n = argc > 1 ? atoi(argv[1]) : 1000000;
	cudaDeviceProp p;
	CK(cudaGetDeviceProperties(&p, 0));
	size_t rowsB = (size_t)n * D * 4;
	uint4 *x, *plane;
	float *q, *out;
	CK(cudaMalloc(&x, rowsB));
	CK(cudaMalloc(&plane, rowsB / 2));
	CK(cudaMalloc(&q, D * 4));
	CK(cudaMalloc(&out, (size_t)n * 8));
	CK(cudaMemset(x, 0x3c, rowsB));
	CK(cudaMemset(plane, 0x3c, rowsB / 2));
	std::vector<float> hq(D, 0.01f);
	CK(cudaMemcpy(q, hq.data(), D * 4, cudaMemcpyHostToDevice));
	printf("%s, %d SMs, %d rows of %d\n", p.name, p.multiProcessorCount, n, D);
	for (int bps : {4, 8}) {
		int blocks = p.multiProcessorCount * bps;
		float t0 = timeIt<0>(x, q, out, n, blocks);
		float t1 = timeIt<1>(x, q, out, n, blocks);
		float t2 = timeIt<2>(plane, q, out, n, blocks);
		float t3 = timeIt<3>(x, q, out, n, blocks);
		CK(cudaGetLastError());
		auto gbs = [&](double bytes, float ms) { return bytes / ms / 1e6; };
		printf("blocks/SM %d: full %.3f ms (%.0f GB/s)  inrow %.3f ms (%.0f GB/s of the half read)  plane %.3f ms (%.0f GB/s)  inrowb %.3f ms\n",
		       bps, t0, gbs(rowsB, t0), t1, gbs(rowsB / 2, t1), t2, gbs(rowsB / 2, t2), t3);
	}
	return 0;
}
