// product_main.cpp: runs the tensor-core product of kernel.cu (the
// prelude and the file as NVRTC compiles them) in the CPU emulator:
// matmul_skinny.cu's matmul_skinny where SIL_SK_QB is defined, else
// matmul_mma.cu's matmul_mma, on the grid and shared memory
// cuda/matmul.go launches it with.
//
// Usage: product IN OUT. IN: 8 int64 (m, n, K, has sa, has sb, grid x,
// grid y, dynamic shared memory bytes, unused by matmul_mma), then a
// [m][K] and b [n][K] of T, then sa [m] and sb [n] float32. OUT: c [m][n]
// float32 (poisoned before the launch).
#include "cuda_emu.h"
#include "kernel.cu"

int main(int argc, char** argv) {
	FILE* in = sil_open_in(argc, argv);
	int64_t h[8];
	sil_read(in, h, 8, "header");
	int64_t m = h[0], n = h[1], K = h[2];
	bool hasA = h[3] != 0, hasB = h[4] != 0;
	std::vector<unsigned char> a(m * K * sizeof(T)), b(n * K * sizeof(T));
	std::vector<float> sa(m), sb(n);
	sil_read(in, a, "input");
	sil_read(in, b, "input");
	sil_read(in, sa, "input");
	sil_read(in, sb, "input");
	fclose(in);
	std::vector<float> c(m * n, 12345.0f);
	sil_launch((unsigned)h[5], (unsigned)h[6], 1, [&] {
#ifdef SIL_SK_QB
		matmul_skinny
#else
		matmul_mma
#endif
			((const T*)a.data(), (const T*)b.data(), c.data(), m, n, K, K, K, hasA ? sa.data() : nullptr,
			 hasB ? sb.data() : nullptr);
	});
	sil_write(c);
	return sil_save(argv);
}
