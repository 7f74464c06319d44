// hostreg.cu: what it costs to bring a search's hits to the host, three
// ways, for the store's sizes (hits of 16 bytes: an int64 id and a
// float32 score). Build and run on the device machine:
//
//	nvcc -O2 -std=c++17 -o /tmp/hostreg bench/cuda/probe/hostreg.cu && /tmp/hostreg
//
// - build: the scores (4 bytes) and ids (8) copied into pinned memory,
//   then a loop on T threads writing each hit into memory faulted in
//   before (the store's collect today);
// - move: the hits written on the device as 16-byte records, copied into
//   pinned memory, then memcpy'd on T threads into memory faulted in;
// - reg: memory faulted in, registered (cudaHostRegister), the records
//   copied into it directly, unregistered.
//
// Each is timed 10 times; the medians are printed, in us.
#include <cuda_runtime.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <thread>
#include <vector>

struct Hit {
	int64_t id;
	float score;
	int32_t pad;
};

static double now() {
	return std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

static double median(std::vector<double> v) {
	std::sort(v.begin(), v.end());
	return v[v.size() / 2];
}

static void ck(cudaError_t e, const char* what) {
	if (e != cudaSuccess) {
		fprintf(stderr, "%s: %s\n", what, cudaGetErrorString(e));
		exit(1);
	}
}

// fresh returns n bytes of page-aligned memory, each page written once.
static char* fresh(size_t n) {
	char* p = (char*)aligned_alloc(4096, (n + 4095) & ~size_t(4095));
	for (size_t i = 0; i < n; i += 4096) p[i] = 0;
	return p;
}

template <class F>
static void par(int T, size_t n, F f) {
	std::vector<std::thread> th;
	for (int t = 0; t < T; t++) {
		size_t lo = n * t / T, hi = n * (t + 1) / T;
		th.emplace_back([=] { f(lo, hi); });
	}
	for (auto& x : th) x.join();
}

int main() {
	const int reps = 10;
	size_t counts[] = {4113, 64 * 4113, 1024 * 4113};
	cudaStream_t s;
	ck(cudaStreamCreate(&s), "stream");
	for (size_t n : counts) {
		size_t rec = n * sizeof(Hit), raw = n * 12;
		void *drec, *draw;
		ck(cudaMalloc(&drec, rec), "malloc");
		ck(cudaMalloc(&draw, raw), "malloc");
		cudaMemset(drec, 1, rec);
		cudaMemset(draw, 1, raw);
		char *pinRec, *pinRaw;
		ck(cudaMallocHost(&pinRec, rec), "host");
		ck(cudaMallocHost(&pinRaw, raw), "host");
		printf("%zu hits (%.2f MB of records)\n", n, rec / 1e6);
		for (int T : {1, 8}) {
			std::vector<double> tb, tm, dr, dm;
			for (int r = 0; r < reps; r++) {
				char* dst = fresh(rec);
				double t0 = now();
				ck(cudaMemcpyAsync(pinRaw, draw, raw, cudaMemcpyDeviceToHost, s), "d2h");
				ck(cudaStreamSynchronize(s), "sync");
				double t1 = now();
				const float* vals = (const float*)pinRaw;
				const int64_t* ids = (const int64_t*)(pinRaw + 4 * n);
				Hit* h = (Hit*)dst;
				par(T, n, [=](size_t lo, size_t hi) {
					for (size_t i = lo; i < hi; i++) h[i] = Hit{ids[i], vals[i], 0};
				});
				double t2 = now();
				dr.push_back(t1 - t0);
				tb.push_back(t2 - t1);
				free(dst);
				dst = fresh(rec);
				t0 = now();
				ck(cudaMemcpyAsync(pinRec, drec, rec, cudaMemcpyDeviceToHost, s), "d2h");
				ck(cudaStreamSynchronize(s), "sync");
				t1 = now();
				par(T, rec, [=](size_t lo, size_t hi) { memcpy(dst + lo, pinRec + lo, hi - lo); });
				t2 = now();
				dm.push_back(t1 - t0);
				tm.push_back(t2 - t1);
				free(dst);
			}
			printf("  T=%2d  build: copy %.1f + loop %.1f   move: copy %.1f + memcpy %.1f\n", T, median(dr), median(tb),
			       median(dm), median(tm));
		}
		std::vector<double> treg, tdma, tun;
		for (int r = 0; r < reps; r++) {
			char* dst = fresh(rec);
			double t0 = now();
			ck(cudaHostRegister(dst, rec, cudaHostRegisterDefault), "register");
			double t1 = now();
			ck(cudaMemcpyAsync(dst, drec, rec, cudaMemcpyDeviceToHost, s), "d2h");
			ck(cudaStreamSynchronize(s), "sync");
			double t2 = now();
			ck(cudaHostUnregister(dst), "unregister");
			double t3 = now();
			treg.push_back(t1 - t0);
			tdma.push_back(t2 - t1);
			tun.push_back(t3 - t2);
			free(dst);
		}
		printf("  reg: register %.1f, copy %.1f, unregister %.1f\n", median(treg), median(tdma), median(tun));
		cudaFree(drec);
		cudaFree(draw);
		cudaFreeHost(pinRec);
		cudaFreeHost(pinRaw);
	}
	return 0;
}
