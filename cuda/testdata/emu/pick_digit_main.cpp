// pick_digit_main.cpp: runs topk.cu's pick_digit<256> (the bin of a 256-bin
// histogram that holds the krem-th key) in the CPU emulator, one block a
// case, and records every thread's answer. The kernels' static
// __shared__ arrays become statics here: the blocks of a grid run one
// after another, so each block has them alone.
//
// Usage: pick_digit IN OUT. IN: int64 n, then n cases of 256 uint32 bins
// and an int32 krem. OUT: int32 [n][256 threads][2]: bin, before.
#include "cuda_emu.h"
#undef __shared__
#define __shared__ static
#include "kernel.cu"

__global__ void pick_case(const u32* hist, const int* krem, int* out) {
	__shared__ u32 h[256];
	i64 c = blockIdx.x;
	for (int b = threadIdx.x; b < 256; b += blockDim.x) h[b] = hist[c * 256 + b];
	__syncthreads();
	int bin = -1, before = -1;
	pick_digit<256>(h, krem[c], bin, before);
	out[(c * blockDim.x + threadIdx.x) * 2] = bin;
	out[(c * blockDim.x + threadIdx.x) * 2 + 1] = before;
}

int main(int argc, char** argv) {
	FILE* in = sil_open_in(argc, argv);
	int64_t n;
	sil_read(in, &n, 1, "header");
	std::vector<u32> hist(n * 256);
	std::vector<int> krem(n);
	for (int64_t c = 0; c < n; c++) {
		sil_read(in, hist.data() + c * 256, 256, "bins");
		sil_read(in, krem.data() + c, 1, "krem");
	}
	fclose(in);
	std::vector<int> out(n * 256 * 2, -7); // poison: every thread must answer
	sil_launch((unsigned)n, 1, 5, [&] { pick_case(hist.data(), krem.data(), out.data()); });
	sil_write(out);
	return sil_save(argv);
}
