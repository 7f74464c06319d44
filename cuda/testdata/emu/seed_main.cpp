// seed_main.cpp: runs the end of a seeded search (topk.cu's seed_final
// over each query's list, then topk_select over the best k, as
// cuda/seed.go launches them) in the CPU emulator. The lists are made
// here as a seeded scan makes them: the rank keys of every row whose
// score passes the query's threshold, in an order of the seed's drawing,
// counted past L though only L are written. The kernels' static
// __shared__ arrays become statics (the blocks of a grid run one after
// another).
//
// Usage: seed IN OUT. IN: 5 int64 (G queries, n rows, k, largest, L),
// then scores [G][n] float32, then thresholds [G] float32. OUT: ok [G]
// int32, vals [G][k] float32, idx [G][k] int64.
#include <algorithm>
#include <random>
#include "cuda_emu.h"
#undef __shared__
#define __shared__ static
#include "kernel.cu"

int main(int argc, char** argv) {
	FILE* in = sil_open_in(argc, argv);
	int64_t h[5];
	sil_read(in, h, 5, "header");
	int64_t G = h[0], n = h[1], L = h[4];
	int k = (int)h[2], largest = (int)h[3];
	std::vector<float> x(G * n), thr(G);
	sil_read(in, x, "scores");
	sil_read(in, thr, "thresholds");
	fclose(in);
	std::vector<u64> list(G * L, 0x5a5a5a5a5a5a5a5aull); // poison past each count
	std::vector<u32> cnt(G, 0);
	std::mt19937 rng(7);
	for (int64_t q = 0; q < G; q++) {
		std::vector<u64> keys;
		float th = thr[q];
		for (int64_t r = 0; r < n; r++) {
			float s = x[q * n + r];
			// scan_tc.cuh's offer: a score not worse than the threshold
			// passes, and so does a NaN score, and any under a NaN threshold.
			if (largest ? !(s < th) : !(s > th)) keys.push_back(make_key(s, largest != 0, (u32)r));
		}
		std::shuffle(keys.begin(), keys.end(), rng);
		cnt[q] = (u32)keys.size();
		for (int64_t i = 0; i < (int64_t)keys.size() && i < L; i++) list[q * L + i] = keys[i];
	}
	std::vector<int> ok(G, -1);
	std::vector<u64> best(G * k, 0x5a5a5a5a5a5a5a5aull);
	unsigned seed = 1;
	sil_launch(G, 1, seed++, [&] { seed_final(list.data(), L, cnt.data(), k, best.data(), ok.data()); });
	std::vector<float> vals(G * k, NAN); // poison: every place must be written
	std::vector<int64_t> idx(G * k, -1);
	int kp = 1;
	while (kp < k) kp <<= 1;
	std::vector<u64> scratch(G * kp);
	sil_launch(G, 1, seed++, [&] {
		topk_select((const T*)0, best.data(), G, k, k, largest, vals.data(), (i64*)idx.data(), (u64*)0, scratch.data(), kp);
	});
	sil_write(ok);
	sil_write(vals);
	sil_write(idx);
	return sil_save(argv);
}
