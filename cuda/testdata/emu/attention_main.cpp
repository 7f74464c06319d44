// attention_main.cpp: runs attention.cu's attention_rows in the CPU
// emulator, for T = float or bf16 (the f16 conversion is PTX).
//
// Usage: attention IN OUT. IN: 5 int64 (n, h, heads, nseg, blocks), one
// float32 (scale), starts [nseg+1] int32, then q, k, v [n][h] as T. OUT:
// [n][h] float32.
#include "cuda_emu.h"
#include "kernel.cu"

int main(int argc, char** argv) {
	if (argc != 3) {
		fprintf(stderr, "usage: %s IN OUT\n", argv[0]);
		return 2;
	}
	FILE* in = fopen(argv[1], "rb");
	if (!in) {
		perror(argv[1]);
		return 1;
	}
	int64_t hd[5];
	float scale;
	if (fread(hd, 8, 5, in) != 5 || fread(&scale, 4, 1, in) != 1) {
		fprintf(stderr, "short header\n");
		return 1;
	}
	int64_t n = hd[0], h = hd[1], heads = hd[2], nseg = hd[3];
	unsigned blocks = (unsigned)hd[4];
	std::vector<int> starts(nseg + 1);
	std::vector<T> q(n * h), k(n * h), v(n * h);
	if (fread(starts.data(), 4, starts.size(), in) != starts.size() || fread(q.data(), sizeof(T), q.size(), in) != q.size() ||
	    fread(k.data(), sizeof(T), k.size(), in) != k.size() || fread(v.data(), sizeof(T), v.size(), in) != v.size()) {
		fprintf(stderr, "short input\n");
		return 1;
	}
	fclose(in);
	std::vector<float> out(n * h, -12345.0f);
	sil_launch(blocks, 1, 5, [&] {
		attention_rows(q.data(), k.data(), v.data(), starts.data(), out.data(), n, h, heads, nseg, scale);
	});
	FILE* o = fopen(argv[2], "wb");
	if (!o || fwrite(out.data(), 4, out.size(), o) != out.size() || fclose(o) != 0) {
		perror(argv[2]);
		return 1;
	}
	return 0;
}
