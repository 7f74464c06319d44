// ew_row_main.cpp: runs a generated element-wise kernel (elementwise.cu's
// ew) of three float32 inputs in the CPU emulator: x [m, c] whole, a row
// [c] broadcast down it, and a single element, on a grid of a few blocks
// (so that the grid-stride loop wraps), as cuda/elementwise.go launches
// it.
//
// Usage: ew_row IN OUT. IN: 3 int64 (m, c, blocks), then x [m*c], row
// [c] and s [1] float32. OUT: y [m*c] float32.
#include "cuda_emu.h"
#include "kernel.cu"

int main(int argc, char** argv) {
	FILE* in = sil_open_in(argc, argv);
	int64_t h[3];
	sil_read(in, h, 3, "header");
	std::vector<float> x(h[0] * h[1]), row(h[1]), s(1), y(h[0] * h[1], 12345.0f);
	for (auto* v : {&x, &row, &s}) sil_read(in, *v, "input");
	fclose(in);
	sil_launch((unsigned)h[2], 1, 1, [&] { ew(y.data(), x.data(), row.data(), s.data(), h[0] * h[1], 1, h[0], h[1]); });
	sil_write(y);
	return sil_save(argv);
}
