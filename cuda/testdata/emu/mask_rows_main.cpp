// mask_rows_main.cpp: runs topk.cu's mask_rows in the CPU emulator with
// T = float, on a grid of a few blocks (so that the grid-stride loop
// wraps), as cuda/topk.go's maskRowsKernel launches it.
//
// Usage: mask_rows IN OUT. IN: 4 int64 (total, n, largest, blocks), then
// x [total] float32 and bits [(n+31)/32] uint32. OUT: y [total] float32.
#include "cuda_emu.h"
#undef __shared__
#define __shared__ static
#include "kernel.cu"

int main(int argc, char** argv) {
	FILE* in = sil_open_in(argc, argv);
	int64_t h[4];
	sil_read(in, h, 4, "header");
	int64_t total = h[0], n = h[1];
	int largest = (int)h[2];
	unsigned blocks = (unsigned)h[3];
	std::vector<float> x(total), y(total, 12345.0f);
	std::vector<u32> bits((n + 31) / 32);
	sil_read(in, x, "input");
	sil_read(in, bits, "input");
	fclose(in);
	sil_launch(blocks, 1, 1, [&] { mask_rows(x.data(), bits.data(), total, n, largest, y.data()); });
	sil_write(y);
	return sil_save(argv);
}
