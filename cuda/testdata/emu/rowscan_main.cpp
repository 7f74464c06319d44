// rowscan_main.cpp: runs scan.cu's rowscan (the row scan of few queries:
// MODE 0 writes scores, MODE 1 keeps each block's best kk) in the CPU
// emulator, for T = float or bf16 (the f16 conversion is PTX), with
// float32 queries (TQ = float).
//
// Usage: rowscan IN OUT. IN: 8 int64 (m, n, d, nb, kk, C, largest,
// normB), then q [m][d] float32 and x [n][d] as T, then with MASK the
// row bitmap [(n+31)/32] uint32. OUT: MODE 0: scores [m][n] float32;
// MODE 1: cand [m][nb][kk] keys.
#include "cuda_emu.h"
// The kernel's dynamic shared memory (extern __shared__ float qs[]); it
// calls nothing with static __shared__ arrays.
extern "C" {
alignas(16) float qs[64 * 1024];
}
#include "kernel.cu"

int main(int argc, char** argv) {
	FILE* in = sil_open_in(argc, argv);
	int64_t h[8];
	sil_read(in, h, 8, "header");
	int64_t m = h[0], n = h[1], d = h[2];
	int nb = (int)h[3], kk = (int)h[4], C = (int)h[5], largest = (int)h[6], normB = (int)h[7];
	std::vector<float> q(m * d);
	std::vector<T> x(n * d);
	sil_read(in, q, "input");
	sil_read(in, x, "input");
	std::vector<u32> bits(MASK ? (n + 31) / 32 : 1, 0u);
	if (MASK) sil_read(in, bits, "bitmap");
	fclose(in);
	int kp = 1;
	while (kp < kk) kp <<= 1;
	std::vector<float> out(MODE == 0 ? m * n : 1, -12345.0f);
	std::vector<u64> cand(MODE == 1 ? m * nb * kk : 1, 0xababababababababull), wbuf(nb * 8 * MQ * C), bbuf(nb * 8 * kp);
	int sortSmem = 0; // candidate sorts in place (wbuf): the emulator's smem is qs alone
	for (int q0 = 0; q0 < m; q0 += MQ) {
		int mq = (int)(m - q0 < MQ ? m - q0 : MQ);
		sil_launch(nb, 1, 7 + q0, [&] {
			rowscan((const TQ*)q.data(), x.data(), m, n, d, q0, mq, (const float*)0, (const float*)0, normB, largest,
			        out.data(), cand.data(), kk, C, wbuf.data(), bbuf.data(), sortSmem, bits.data());
		});
	}
	if (MODE == 0) sil_write(out);
	if (MODE == 1) sil_write(cand);
	return sil_save(argv);
}
