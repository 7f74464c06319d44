// wgmma_probe.cu: checks on the GPU what the v5 scan assumes of wgmma
// (sm_90a): the shared-memory layout and matrix descriptors of the wgmma
// helpers in scan_mma_v4.cu, the accumulator layout, and whether TF32
// operands are truncated or rounded. Built on the device machine:
//
//   nvcc -std=c++17 -gencode=arch=compute_90a,code=sm_90a [-DSIL_IS_TF32|-DSIL_IS_BF16] \
//        -I kernels/cuda -o probe bench/cuda/scripts/wgmma_probe.cu && ./probe
//
// It prints, for each descriptor hypothesis, the largest error against a
// float64 product of the same operands; "ok" needs it under 1e-5 of the
// largest |result| (TF32: of the truncated and of the rounded operands).
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <cmath>
#include <vector>
#include <cuda_fp16.h>
#include "prelude.cuh"
#if !defined(SIL_IS_TF32) && !defined(SIL_IS_BF16)
#define SIL_T f16
#elif defined(SIL_IS_BF16)
#define SIL_T bf16
#endif
#include "scan_mma_v4.cu"
// The probe fills shared memory with ordinary stores, which the tensor
// cores read through the async proxy: a proxy fence orders them.
__device__ __forceinline__ void fence_async_smem() { asm volatile("fence.proxy.async.shared::cta;" ::: "memory"); }

#if defined(SIL_IS_TF32)
typedef float E;
#define NAME "tf32"
#else
typedef unsigned short E;
#if defined(SIL_IS_BF16)
#define NAME "bf16"
#else
#define NAME "f16"
#endif
#endif

template <int N>
__global__ void probe(const unsigned char* A, const unsigned char* B, float* D, int bkb, u32 lbo, u32 sbo, u32 step) {
	extern __shared__ __align__(128) unsigned char sm[];
	unsigned char* As = sm;
	unsigned char* Bs = sm + 64 * bkb;
	int cpr = bkb / 16;
	for (int i = threadIdx.x; i < 64 * cpr; i += 128) *(uint4*)(As + wg_off(i / cpr, i % cpr, bkb)) = ((const uint4*)A)[i];
	for (int i = threadIdx.x; i < N * cpr; i += 128) *(uint4*)(Bs + wg_off(i / cpr, i % cpr, bkb)) = ((const uint4*)B)[i];
	fence_async_smem();
	__syncthreads();
	float d[N / 2];
#pragma unroll
	for (int i = 0; i < N / 2; i++) d[i] = -1.0f;
	wg_fence();
	for (int s = 0; s < bkb / 32; s++) {
		u64 da = wg_desc(smem_u32(As) + s * step, lbo, sbo), db = wg_desc(smem_u32(Bs) + s * step, lbo, sbo);
		wg_mma(d, da, db, s > 0);
	}
	wg_commit();
	wg_wait<0>();
	wg_keep(d);
	int w = threadIdx.x / 32, l = threadIdx.x % 32;
#pragma unroll
	for (int i = 0; i < N / 8; i++)
#pragma unroll
		for (int e = 0; e < 4; e++) D[(16 * w + l / 4 + 8 * (e / 2)) * N + 8 * i + 2 * (l % 4) + e % 2] = d[4 * i + e];
}

static double val(E e, int mode) { // mode 0: as stored, 1: tf32 truncated, 2: tf32 rounded
#if defined(SIL_IS_TF32)
	u32 b;
	memcpy(&b, &e, 4);
	if (mode == 1) b &= 0xffffe000u;
	if (mode == 2) b = (b + 0x1000u) & 0xffffe000u;
	float f;
	memcpy(&f, &b, 4);
	return f;
#elif defined(SIL_IS_BF16)
	u32 b = (u32)e << 16;
	float f;
	memcpy(&f, &b, 4);
	return f;
#else
	return (double)__half2float(__ushort_as_half(e));
#endif
}

#define CK(x) do { cudaError_t e_ = (x); if (e_ != cudaSuccess) { printf("%s: %s\n", #x, cudaGetErrorString(e_)); exit(1); } } while (0)

template <int N>
static void run(int bkb) {
	int K = bkb / (int)sizeof(E);
	std::vector<E> a(64 * K), b(N * K);
	srand(N * 7 + bkb);
	for (auto* v : {&a, &b})
		for (auto& e : *v) {
			float f = (float)rand() / RAND_MAX * 2 - 1;
#if defined(SIL_IS_TF32)
			e = f;
#elif defined(SIL_IS_BF16)
			u32 u;
			memcpy(&u, &f, 4);
			e = (unsigned short)(u >> 16);
#else
			e = __half_as_ushort(__float2half(f));
#endif
		}
	unsigned char *dA, *dB;
	float* dD;
	CK(cudaMalloc(&dA, a.size() * sizeof(E)));
	CK(cudaMalloc(&dB, b.size() * sizeof(E)));
	CK(cudaMalloc(&dD, 64 * N * 4));
	CK(cudaMemcpy(dA, a.data(), a.size() * sizeof(E), cudaMemcpyHostToDevice));
	CK(cudaMemcpy(dB, b.data(), b.size() * sizeof(E), cudaMemcpyHostToDevice));
	int smem = (64 + N) * bkb;
	CK(cudaFuncSetAttribute(probe<N>, cudaFuncAttributeMaxDynamicSharedMemorySize, smem));
	struct H { const char* name; u32 lbo, sbo, step; } hs[] = {
		{"lbo=128 sbo=bkb*8 step=256 (v5)", 128, (u32)bkb * 8, 256},
		{"lbo=bkb*8 sbo=128 step=256 (swapped)", (u32)bkb * 8, 128, 256},
	};
	for (auto& h : hs) {
		CK(cudaMemset(dD, 0xff, 64 * N * 4));
		probe<N><<<1, 128, smem>>>(dA, dB, dD, bkb, h.lbo, h.sbo, h.step);
		CK(cudaGetLastError());
		CK(cudaDeviceSynchronize());
		std::vector<float> D(64 * N);
		CK(cudaMemcpy(D.data(), dD, D.size() * 4, cudaMemcpyDeviceToHost));
		double err[3] = {0, 0, 0}, mx = 0;
		for (int r = 0; r < 64; r++)
			for (int c = 0; c < N; c++)
				for (int mode = 0; mode < 3; mode++) {
					double s = 0;
					for (int k = 0; k < K; k++) s += val(a[r * K + k], mode) * val(b[c * K + k], mode);
					double e = std::isnan(D[r * N + c]) ? INFINITY : fabs(D[r * N + c] - s);
					if (e > err[mode]) err[mode] = e;
					if (mode == 0 && fabs(s) > mx) mx = fabs(s);
				}
		printf("%s n%d bkb%d %-40s max err: as stored %.3g, tf32 trunc %.3g, tf32 round %.3g (max |ref| %.3g): %s\n", NAME, N, bkb, h.name,
			err[0], err[1], err[2], mx, (fmin(err[0], fmin(err[1], err[2])) < 1e-5 * mx) ? "ok" : "WRONG");
	}
	cudaFree(dA);
	cudaFree(dB);
	cudaFree(dD);
}

int main() {
	run<256>(64);
	run<256>(128);
	run<128>(64);
	run<128>(128);
	return 0;
}
