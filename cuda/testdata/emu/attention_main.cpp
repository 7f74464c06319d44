// attention_main.cpp: runs attention.cu's attention_rows in the CPU
// emulator, for T = float or bf16 (the f16 conversion is PTX).
//
// Usage: attention IN OUT. IN: 5 int64 (n, h, heads, nseg, blocks), one
// float32 (scale), starts [nseg+1] int32, then q, k, v [n][h] as T. OUT:
// [n][h] float32.
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
	std::vector<T> q(n * h), k(n * h), v(n * h);
	sil_read(in, starts, "input");
	for (auto* a : {&q, &k, &v}) sil_read(in, *a, "input");
	fclose(in);
	std::vector<float> out(n * h, -12345.0f);
	sil_launch(blocks, 1, 5, [&] {
		attention_rows(q.data(), k.data(), v.data(), starts.data(), out.data(), n, h, heads, nseg, scale);
	});
	sil_write(out);
	return sil_save(argv);
}
