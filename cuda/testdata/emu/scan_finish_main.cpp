// scan_finish_main.cpp: runs the end of a TF32 search (kernel.cu: the
// prelude and scan_rescore.cu as NVRTC would compile them) in the CPU
// emulator: rescore the candidates exactly, keep the best k, and verify
// them against the TF32 error bound, as cuda/scan.go's mmaScan does.
//
// Usage: scan_finish IN OUT. IN: 6 int64 (m, n, d, k, kc, largest), eps
// float32, maxnorm uint32, q [m][d] and x [n][d] float32, qnorm [m]
// float32, then approx [m][kc] keys (each query's best kc by TF32 score,
// best first). OUT: vals [m][k] float32, idx [m][k] int64, ok [m] int32,
// then rescored [m] int32, the candidates rescore scored (not EMPTY_KEY).
#include "cuda_emu.h"
#include "kernel.cu"

#include <algorithm>

int main(int argc, char** argv) {
	FILE* in = sil_open_in(argc, argv);
	int64_t h[6];
	float eps;
	u32 maxnorm;
	sil_read(in, h, 6, "header");
	sil_read(in, &eps, 1, "header");
	sil_read(in, &maxnorm, 1, "header");
	int64_t m = h[0], n = h[1], d = h[2];
	int k = (int)h[3], kc = (int)h[4], largest = (int)h[5];
	std::vector<float> q(m * d), x(n * d), qnorm(m), qscale(m, 1.0f);
	std::vector<u64> approx(m * kc);
	for (auto* a : {&q, &x, &qnorm}) sil_read(in, *a, "input");
	sil_read(in, approx, "input");
	fclose(in);
	// One block: the kernels stride over their work.
	std::vector<u64> exact(m * kc, 0xababababababababull);
	sil_launch(1, 1, 1, [&] {
		rescore(q.data(), x.data(), m, d, k, kc, qnorm.data(), qscale.data(), &maxnorm, 0, eps, largest, approx.data(),
		        exact.data(), nullptr);
	});
	// The best k exact keys of each query, best first (selectRows).
	std::vector<u64> best(m * k);
	for (int64_t i = 0; i < m; i++) {
		std::sort(exact.begin() + i * kc, exact.begin() + (i + 1) * kc);
		std::copy(exact.begin() + i * kc, exact.begin() + i * kc + k, best.begin() + i * k);
	}
	std::vector<float> vals(m * k);
	std::vector<int64_t> idx(m * k);
	std::vector<int> ok(m, -1);
	sil_launch(1, 1, 2, [&] {
		verify(best.data(), approx.data(), m, k, kc, qnorm.data(), qscale.data(), &maxnorm, 0, eps, largest,
		       vals.data(), (i64*)idx.data(), ok.data());
	});
	std::vector<int> rescored(m, 0); // candidates not skipped
	for (int64_t i = 0; i < m * kc; i++) rescored[i / kc] += exact[i] != 0xffffffffffffffffull;
	sil_write(vals);
	sil_write(idx);
	sil_write(ok);
	sil_write(rescored);
	return sil_save(argv);
}
