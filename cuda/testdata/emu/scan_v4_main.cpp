// scan_v4_main.cpp: runs a tensor-core scan (kernel.cu: the prelude and
// scan_mma_v4.cu or scan_wgmma_v5.cu as NVRTC would compile them) in the
// CPU emulator; SIL_EMU_KERNEL names its entry point (mma_scan_v4 or
// wgmma_scan_v5, which take the same parameters).
//
// Usage: scan_v4 IN OUT. IN: 16 int64 (m, n, d, per, normB, largest, kk,
// C, grid x, grid y, seed, has qscale, the rows of x, xstep, seeded, L),
// then q [m][d] and x [rows][d] of T, then qscale [m] float32, then with
// MASK (a masked variant) the row bitmap [(rows+31)/32] uint32, then when
// seeded the thresholds [m] float32. OUT: cand [m][grid y][kk] keys, or
// when seeded the counts [m] uint32 and the lists [m][L] keys; then
// maxnorm.
#include "cuda_emu.h"
#include "kernel.cu"

#ifndef SIL_EMU_KERNEL
#define SIL_EMU_KERNEL mma_scan_v4
#endif

int main(int argc, char** argv) {
	FILE* in = sil_open_in(argc, argv);
	int64_t h[16];
	sil_read(in, h, 16, "header");
	int64_t m = h[0], n = h[1], d = h[2], per = h[3];
	int normB = (int)h[4], largest = (int)h[5], kk = (int)h[6], C = (int)h[7];
	unsigned gx = (unsigned)h[8], gy = (unsigned)h[9], seed = (unsigned)h[10];
	bool hasQ = h[11] != 0;
	int64_t rows = h[12], xstep = h[13], L = h[15];
	bool seeded = h[14] != 0;
	std::vector<unsigned char> q(m * d * sizeof(T)), x(rows * d * sizeof(T));
	std::vector<float> qs(m), thr(m);
	sil_read(in, q, "input");
	sil_read(in, x, "input");
	sil_read(in, qs, "input");
	std::vector<u32> bits;
#if MASK
	bits.resize((rows + 31) / 32);
	sil_read(in, bits, "input");
#endif
	if (seeded) sil_read(in, thr, "input");
	fclose(in);
	std::vector<u64> wbuf((size_t)gx * gy * BM * C, 0xababababababababull);
	std::vector<u64> cand(seeded ? (size_t)m * L : (size_t)m * gy * kk, 0xababababababababull);
	std::vector<u32> cnt(m, 0);
	u32 maxnorm = 0;
	sil_launch(gx, gy, seed, [&] {
		SIL_EMU_KERNEL((const T*)q.data(), (const T*)x.data(), m, n, d, per, hasQ ? qs.data() : nullptr, normB, largest,
		               kk, C, wbuf.data(), cand.data(), &maxnorm, bits.empty() ? nullptr : bits.data(),
		               xstep, seeded ? thr.data() : nullptr, 1, cnt.data(), L);
	});
	if (seeded) sil_write(cnt);
	sil_write(cand);
	sil_write(&maxnorm, 1);
	return sil_save(argv);
}
