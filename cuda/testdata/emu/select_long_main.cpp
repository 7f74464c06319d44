// select_long_main.cpp: runs the multi-block select of topk.cu (radix_pass
// RADIX_PASSES times, radix_collect, then topk_select or rank_select over the
// candidates, as cuda/topk.go's selectLong launches them) in the CPU emulator, with T =
// float. The kernels' static __shared__ arrays become statics here: the
// blocks of a grid run one after another, so each block has them alone.
//
// Usage: select_long IN OUT. IN: 8 int64 (rows, L, k, largest, cap, nb,
// smem_keys: topk_select's keys in shared memory, 0 for scratch; rank:
// rank_select in place of topk_select, the candidate buffer poisoned
// past the keys collected, not EMPTY_KEY), then x
// [rows][L] float32. OUT: vals [rows][k] float32, idx [rows][k]
// int64.
#include "cuda_emu.h"
#undef __shared__
#define __shared__ static
#include "kernel.cu"

int main(int argc, char** argv) {
	FILE* in = sil_open_in(argc, argv);
	int64_t h[8];
	sil_read(in, h, 8, "header");
	int64_t rows = h[0], L = h[1];
	int k = (int)h[2], largest = (int)h[3], cap = (int)h[4], nb = (int)h[5], smem_keys = (int)h[6], rank = (int)h[7];
	int kcap = k + cap;
	std::vector<float> x(rows * L);
	sil_read(in, x, "input");
	fclose(in);
	std::vector<radix_state> st(rows);
	memset(st.data(), 0, st.size() * sizeof(radix_state));
	std::vector<u32> hist(rows * RADIX_BINS, 0);
	// slack: a wrong count overflows into it, caught below. rank_select
	// must read only the keys collected: the rest is poison (keys that
	// would rank first).
	std::vector<u64> cand(rows * kcap + rows * L, rank ? 0 : EMPTY_KEY);
	int tiles = (kcap + RANK_TILE - 1) / RANK_TILE;
	std::vector<u32> ranks(rows * (kcap + tiles), 0); // the ranks, then each tile's arrivals
	for (int pass = 0; pass < RADIX_PASSES; pass++)
		sil_launch(nb, rows, 11 + pass, [&] { radix_pass(x.data(), L, k, largest, pass, cap, st.data(), hist.data()); });
	sil_launch(nb, rows, 3, [&] { radix_collect(x.data(), L, largest, kcap, st.data(), cand.data()); });
	for (u32 v : hist)
		if (v != 0) {
			fprintf(stderr, "a histogram was left non-zero\n");
			return 1;
		}
	for (int64_t r = 0; r < rows; r++)
		if ((int)st[r].count < k || (int)st[r].count > kcap) { // the passes' counts were wrong
			fprintf(stderr, "row %lld: %u candidates collected, want %d to %d\n", (long long)r, st[r].count, k, kcap);
			return 1;
		}
	std::vector<float> vals(rows * k, NAN); // poison: every place must be written
	std::vector<int64_t> idx(rows * k, -1);
	if (rank) {
		sil_launch(tiles * tiles, rows, 5, [&] {
			rank_select(cand.data(), kcap, k, largest, st.data(), ranks.data(), vals.data(), (i64*)idx.data());
		});
		for (int64_t r = 0; r < rows; r++)
			if (st[r].arrived != 0) {
				fprintf(stderr, "row %lld: rank_select left arrived %u\n", (long long)r, st[r].arrived);
				return 1;
			}
	} else {
		int kp = 1;
		while (kp < k) kp <<= 1;
		std::vector<u64> scratch(rows * kp);
		sil_launch(rows, 1, 5, [&] {
			topk_select((const T*)0, cand.data(), rows, kcap, k, largest, vals.data(), (i64*)idx.data(), (u64*)0, scratch.data(), smem_keys);
		});
	}
	sil_write(vals);
	sil_write(idx);
	return sil_save(argv);
}
