// scan_v4_main.cpp: runs a tensor-core scan (kernel.cu: the prelude and
// scan_mma_v4.cu or scan_wgmma_v5.cu as NVRTC would compile them) in the
// CPU emulator; SIL_EMU_KERNEL names its entry point (mma_scan_v4 or
// wgmma_scan_v5, which take the same parameters).
//
// Usage: scan_v4 IN OUT. IN: 12 int64 (m, n, d, per, normB, largest, kk,
// C, grid x, grid y, seed, has qscale), then q [m][d] and x [n][d] of T,
// then qscale [m] float32, then with MASK (a masked variant) the row
// bitmap [(n+31)/32] uint32. OUT: cand [m][grid y][kk] keys, then maxnorm.
#include "cuda_emu.h"
#include "kernel.cu"

#ifndef SIL_EMU_KERNEL
#define SIL_EMU_KERNEL mma_scan_v4
#endif

int main(int argc, char** argv) {
	FILE* in = sil_open_in(argc, argv);
	int64_t h[12];
	sil_read(in, h, 12, "header");
	int64_t m = h[0], n = h[1], d = h[2], per = h[3];
	int normB = (int)h[4], largest = (int)h[5], kk = (int)h[6], C = (int)h[7];
	unsigned gx = (unsigned)h[8], gy = (unsigned)h[9], seed = (unsigned)h[10];
	bool hasQ = h[11] != 0;
	std::vector<unsigned char> q(m * d * sizeof(T)), x(n * d * sizeof(T));
	std::vector<float> qs(m);
	sil_read(in, q, "input");
	sil_read(in, x, "input");
	sil_read(in, qs, "input");
	std::vector<u32> bits;
#if MASK
	bits.resize((n + 31) / 32);
	sil_read(in, bits, "input");
#endif
	fclose(in);
	std::vector<u64> wbuf((size_t)gx * gy * BM * C, 0xababababababababull);
	std::vector<u64> cand((size_t)m * gy * kk, 0xababababababababull);
	u32 maxnorm = 0;
	sil_launch(gx, gy, seed, [&] {
		SIL_EMU_KERNEL((const T*)q.data(), (const T*)x.data(), m, n, d, per, hasQ ? qs.data() : nullptr, normB, largest,
		               kk, C, wbuf.data(), cand.data(), &maxnorm, bits.empty() ? nullptr : bits.data());
	});
	sil_write(cand);
	sil_write(&maxnorm, 1);
	return sil_save(argv);
}
