// attention_main.cpp: runs attention.cu's attention_rows, or with DH
// defined attention_tiles, in the CPU emulator, for T = float or bf16
// (the f16 conversion is PTX).
//
// Usage: attention IN OUT. IN: 5 int64 (n, h, heads, nseg, blocks), one
// float32 (scale), starts [nseg+1] int32, with DH the blocks' tasks
// [blocks][2] int32 (attention_tiles' grid is blocks by heads/4), then q,
// k, v [n][h] as T. OUT: [n][h] float32.
#include "cuda_emu.h"
#include "kernel.cu"

int main(int argc, char** argv) {
	FILE* in = sil_open_in(argc, argv);
	int64_t hd[5];
	float scale;
	sil_read(in, hd, 5, "header");
	sil_read(in, &scale, 1, "header");
	int64_t n = hd[0], h = hd[1], heads = hd[2], nseg = hd[3];
	unsigned blocks = (unsigned)hd[4];
	std::vector<int> starts(nseg + 1);
	sil_read(in, starts, "input");
#ifdef SIL_DH
	std::vector<int> tasks(2 * blocks);
	sil_read(in, tasks, "input");
#endif
	std::vector<T> q(n * h), k(n * h), v(n * h);
	for (auto* a : {&q, &k, &v}) sil_read(in, *a, "input");
	fclose(in);
	std::vector<float> out(n * h, -12345.0f);
#ifdef SIL_DH
	sil_launch(blocks, (unsigned)((heads + 3) / 4), 5, [&] {
		attention_tiles(q.data(), k.data(), v.data(), starts.data(), tasks.data(), out.data(), h, heads, scale);
	});
#else
	sil_launch(blocks, 1, 5, [&] {
		attention_rows(q.data(), k.data(), v.data(), starts.data(), out.data(), n, h, heads, nseg, scale);
	});
#endif
	sil_write(out);
	return sil_save(argv);
}
