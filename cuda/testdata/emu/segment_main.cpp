// segment_main.cpp: runs reduce.cu's segment_reduce in the CPU emulator,
// for T = float or bf16 (the f16 conversion is PTX) and OP 0 (sum) or 1
// (max).
//
// Usage: segment IN OUT. IN: 3 int64 (h, nseg, blocks), starts [nseg+1]
// int32, then x [starts[nseg]][h] as T. OUT: [nseg][h] float32.
#include "cuda_emu.h"
#include "kernel.cu"

int main(int argc, char** argv) {
	FILE* in = sil_open_in(argc, argv);
	int64_t hd[3];
	sil_read(in, hd, 3, "header");
	int64_t h = hd[0], nseg = hd[1];
	unsigned blocks = (unsigned)hd[2];
	std::vector<int> starts(nseg + 1);
	sil_read(in, starts, "input");
	std::vector<T> x((size_t)starts[nseg] * h);
	sil_read(in, x, "input");
	fclose(in);
	std::vector<float> out(nseg * h, -12345.0f);
	sil_launch(blocks, 1, 9, [&] { segment_reduce(x.data(), starts.data(), out.data(), h, nseg); });
	sil_write(out);
	return sil_save(argv);
}
