// cand_main.cpp: runs the candidate select of topk.cu (for each part of
// the rows, cand_filter then cand_compact; at the end cand_compact into
// each buffer's best k and topk_select over them, as cuda/scan.go's
// candSelect launches them) in the CPU emulator, over scores given whole
// (candSelect's products, part by part). The kernels' static __shared__
// arrays become statics here: the blocks of a grid run one after
// another, so each block has them alone.
//
// Usage: cand IN OUT. IN: 7 int64 (G queries, n rows, P rows a part, k,
// largest, masked, keep: a buffer is cut back past keep*k keys), then
// scores [G][n] float32, then when masked the row bitmap [(n+31)/32]
// uint32. OUT: vals [G][k] float32, idx [G][k] int64.
#include "cuda_emu.h"
#undef __shared__
#define __shared__ static
#include "kernel.cu"

int main(int argc, char** argv) {
	FILE* in = sil_open_in(argc, argv);
	int64_t h[7];
	sil_read(in, h, 7, "header");
	int64_t G = h[0], n = h[1], P = h[2];
	int k = (int)h[3], largest = (int)h[4], masked = (int)h[5];
	std::vector<float> x(G * n);
	sil_read(in, x, "scores");
	std::vector<u32> bits;
	if (masked) {
		bits.resize((n + 31) / 32);
		sil_read(in, bits, "bitmap");
	}
	fclose(in);
	int keep = (int)h[6] * k;
	int64_t C = keep + P;
	std::vector<u64> buf(G * C + 64, EMPTY_KEY); // slack: a wrong count overflows into it, caught below
	std::vector<u64> thr(G, EMPTY_KEY);
	std::vector<u32> cnt(G, 0);
	std::vector<float> part(G * P);
	unsigned seed = 1;
	for (int64_t p0 = 0; p0 < n; p0 += P) {
		int64_t pn = std::min(P, n - p0);
		for (int64_t q = 0; q < G; q++)
			for (int64_t i = 0; i < pn; i++) part[q * pn + i] = x[q * n + p0 + i];
		unsigned nb = (unsigned)std::min<int64_t>(3, (pn + 255) / 256);
		sil_launch(nb, G, seed++, [&] {
			cand_filter(part.data(), pn, p0, largest, masked ? bits.data() : (const u32*)0, thr.data(), cnt.data(), buf.data(), C);
		});
		for (int64_t q = 0; q < G; q++)
			if (cnt[q] > (u32)C) {
				fprintf(stderr, "query %lld: %u candidates after rows %lld to %lld, the buffer holds %lld\n", (long long)q, cnt[q],
					(long long)p0, (long long)(p0 + pn), (long long)C);
				return 1;
			}
		if (p0 + pn < n) sil_launch(G, 1, seed++, [&] { cand_compact(buf.data(), C, cnt.data(), thr.data(), k, keep, (u64*)0); });
	}
	std::vector<float> vals(G * k, NAN); // poison: every place must be written
	std::vector<int64_t> idx(G * k, -1);
	int kp = 1;
	while (kp < k) kp <<= 1;
	std::vector<u64> best(G * k, 0x5a5a5a5a5a5a5a5aull); // poison
	sil_launch(G, 1, seed++, [&] { cand_compact(buf.data(), C, cnt.data(), thr.data(), k, -1, best.data()); });
	std::vector<u64> scratch(G * kp);
	sil_launch(G, 1, seed++, [&] {
		topk_select((const T*)0, best.data(), G, k, k, largest, vals.data(), (i64*)idx.data(), (u64*)0, scratch.data(), kp);
	});
	sil_write(vals);
	sil_write(idx);
	return sil_save(argv);
}
