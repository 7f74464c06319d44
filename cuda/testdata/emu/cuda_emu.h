// cuda_emu.h: enough of CUDA to run a Silica search kernel on the CPU, for
// the tests (cuda/emu_test.go). Every thread of a block is an OS thread;
// __syncthreads and the warp primitives are real barriers, so a missing
// barrier shows as a wrong or moving result. The PTX primitives the kernel
// writes under #ifndef SIL_EMU (cp.async, ldmatrix, mma.sync, cvt.rna.tf32)
// are given here with the semantics of the PTX ISA: fragment layouts of
// mma.m16n8k16 (f16, bf16) and mma.m16n8k8 (tf32), ldmatrix .x4, and
// cp.async whose copy lands at any moment between issue and the wait that
// covers it (here: at issue or at the wait, chosen at random per copy).
// Blocks run one after another. Compiled as C++20 (std::barrier).
#include <barrier>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <math.h>
#include <random>
#include <thread>
#include <vector>

#define SIL_EMU 1
#define __device__
#define __global__
#define __forceinline__ inline
#define __launch_bounds__(...)
#define __shared__
#define __align__(n)
// The prelude's PTX conversions are never called by the emulated kernels.
#define asm(...) sil_emu_no_asm()
[[noreturn]] inline void sil_emu_no_asm() {
	fprintf(stderr, "cuda_emu: inline PTX reached\n");
	abort();
}

struct sil_dim3 { unsigned x, y, z; };
inline thread_local sil_dim3 threadIdx, blockIdx;
inline sil_dim3 blockDim, gridDim;

struct float2 { float x, y; };
struct float4 { float x, y, z, w; };
struct uint4 { uint32_t x, y, z, w; };
inline float2 make_float2(float x, float y) { return float2{x, y}; }
inline float4 make_float4(float x, float y, float z, float w) { return float4{x, y, z, w}; }

template <class A, class B> inline auto min(A a, B b) -> decltype(a + b) { return a < b ? a : b; }
template <class A, class B> inline auto max(A a, B b) -> decltype(a + b) { return a < b ? b : a; }
inline uint32_t __float_as_uint(float f) { uint32_t u; memcpy(&u, &f, 4); return u; }
inline float __uint_as_float(uint32_t u) { float f; memcpy(&f, &u, 4); return f; }
inline int __popc(unsigned v) { return __builtin_popcount(v); }
inline int __ffs(unsigned v) { return __builtin_ffs((int)v); }

// One block's threads: the block barrier, and per warp a barrier and the
// slots lanes exchange values through.
struct sil_warp {
	std::barrier<> bar{32};
	uint64_t slot[32];
	const void* ptr[32];
	uint32_t frag[32][6];
};
struct sil_block {
	std::barrier<> bar{256};
	sil_warp warps[8];
};
inline thread_local sil_block* sil_blk;
inline thread_local int sil_lane;
inline sil_warp* sil_w() { return &sil_blk->warps[threadIdx.x >> 5]; }

inline void __syncthreads() { sil_blk->bar.arrive_and_wait(); }
inline void __threadfence() { __atomic_thread_fence(__ATOMIC_SEQ_CST); }
inline void __syncwarp(unsigned = 0xffffffffu) { sil_w()->bar.arrive_and_wait(); }

template <class V> inline V sil_xchg(V v, int src) {
	sil_warp* w = sil_w();
	uint64_t bits = 0;
	memcpy(&bits, &v, sizeof v);
	w->slot[sil_lane] = bits;
	__syncwarp();
	uint64_t o = w->slot[src];
	__syncwarp();
	V r;
	memcpy(&r, &o, sizeof r);
	return r;
}
template <class V> inline V __shfl_xor_sync(unsigned, V v, int o) { return sil_xchg(v, sil_lane ^ o); }
template <class V> inline V __shfl_up_sync(unsigned, V v, int d) { return sil_xchg(v, sil_lane >= d ? sil_lane - d : sil_lane); }
template <class V> inline V __shfl_sync(unsigned, V v, int src) { return sil_xchg(v, src); }
inline unsigned __ballot_sync(unsigned, bool p) {
	sil_warp* w = sil_w();
	w->slot[sil_lane] = p;
	__syncwarp();
	unsigned b = 0;
	for (int l = 0; l < 32; l++) b |= (w->slot[l] ? 1u : 0u) << l;
	__syncwarp();
	return b;
}
inline unsigned __match_any_sync(unsigned, int v) {
	sil_warp* w = sil_w();
	w->slot[sil_lane] = (uint64_t)(int64_t)v;
	__syncwarp();
	unsigned b = 0;
	for (int l = 0; l < 32; l++) b |= (w->slot[l] == (uint64_t)(int64_t)v ? 1u : 0u) << l;
	__syncwarp();
	return b;
}

inline int atomicAdd(int* p, int v) { return __atomic_fetch_add(p, v, __ATOMIC_SEQ_CST); }
inline unsigned atomicAdd(unsigned* p, unsigned v) { return __atomic_fetch_add(p, v, __ATOMIC_SEQ_CST); }
template <class V> inline V atomicMax(V* p, V v) {
	V old = __atomic_load_n(p, __ATOMIC_SEQ_CST);
	while (old < v && !__atomic_compare_exchange_n(p, &old, v, false, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST)) {
	}
	return old;
}

// cp.async: each copy lands at issue or at the wait that covers it.
struct sil_copy { void* dst; const void* src; bool valid; };
inline thread_local std::vector<sil_copy> sil_open;
inline thread_local std::vector<std::vector<sil_copy>> sil_groups;
inline thread_local std::mt19937 sil_rng;
inline void sil_land(const sil_copy& c) {
	if (c.valid) memcpy(c.dst, c.src, 16);
	else memset(c.dst, 0, 16);
}
inline void cp_async16(void* dst, const void* src, bool valid) {
	sil_copy c{dst, src, valid};
	if (sil_rng() & 1) sil_land(c);
	else sil_open.push_back(c);
}
inline void cp_commit() {
	sil_groups.push_back(sil_open);
	sil_open.clear();
}
template <int N> inline void cp_wait() {
	while ((int)sil_groups.size() > N) {
		for (auto& c : sil_groups.front()) sil_land(c);
		sil_groups.erase(sil_groups.begin());
	}
}
inline void prefetch_l2(const void*) {}

// ldmatrix .x4 of 16-bit elements: lane l gives the address of row l%8 of
// matrix l/8 and receives word l%4 of row l/4 of each matrix.
inline void ldsm_x4(uint32_t (&r)[4], const void* p) {
	sil_warp* w = sil_w();
	w->ptr[sil_lane] = p;
	__syncwarp();
	for (int i = 0; i < 4; i++) memcpy(&r[i], (const unsigned char*)w->ptr[8 * i + sil_lane / 4] + 4 * (sil_lane % 4), 4);
	__syncwarp();
}

inline float sil_h2f(uint16_t h) {
	uint32_t s = (uint32_t)(h >> 15) << 31, e = (h >> 10) & 31, m = h & 1023;
	if (e == 31) return __uint_as_float(s | 0x7f800000u | (m << 13));
	if (e == 0) {
		float v = ldexpf((float)m, -24);
		return s ? -v : v;
	}
	return __uint_as_float(s | ((e + 112) << 23) | (m << 13));
}
inline float sil_bf2f(uint16_t h) { return __uint_as_float((uint32_t)h << 16); }
#if defined(SIL_IS_BF16)
inline float sil_16(uint16_t h) { return sil_bf2f(h); }
#else
inline float sil_16(uint16_t h) { return sil_h2f(h); }
#endif
inline float half_lo(uint32_t w) { return sil_16((uint16_t)(w & 0xffffu)); }
inline float half_hi(uint32_t w) { return sil_16((uint16_t)(w >> 16)); }

// cvt.rna.tf32.f32: to 10 bits of mantissa, to nearest, ties away from 0.
inline uint32_t to_tf32(uint32_t f) {
	if ((f & 0x7f800000u) == 0x7f800000u) return f;
	return (f + 0x1000u) & ~0x1fffu;
}

// mma.sync m16n8k16 (f16, bf16) or m16n8k8 (tf32), f32 accumulators:
// A row g / g+8 of the lane's group, B column g; see the PTX ISA's
// fragment layouts. Products are exact in double; each output rounds once.
inline void mma_step(float (&c)[4], const uint32_t (&a)[4], uint32_t b0, uint32_t b1) {
	sil_warp* w = sil_w();
	uint32_t* f = w->frag[sil_lane];
	for (int i = 0; i < 4; i++) f[i] = a[i];
	f[4] = b0;
	f[5] = b1;
	__syncwarp();
	int g = sil_lane >> 2, t = sil_lane & 3;
	for (int o = 0; o < 4; o++) {
		int row = g + (o >> 1) * 8, col = 2 * t + (o & 1);
		double sum = 0;
#if defined(SIL_IS_TF32)
		for (int k = 0; k < 8; k++) {
			float av = __uint_as_float(w->frag[(row % 8) * 4 + k % 4][(row >= 8) + 2 * (k >= 4)]);
			float bv = __uint_as_float(w->frag[col * 4 + k % 4][4 + (k >= 4)]);
			sum += (double)av * (double)bv;
		}
#else
		for (int k = 0; k < 16; k++) {
			uint32_t aw = w->frag[(row % 8) * 4 + (k % 8) / 2][(row >= 8) + 2 * (k >= 8)];
			uint32_t bw = w->frag[col * 4 + (k % 8) / 2][4 + (k >= 8)];
			float av = sil_16((uint16_t)(k & 1 ? aw >> 16 : aw & 0xffffu));
			float bv = sil_16((uint16_t)(k & 1 ? bw >> 16 : bw & 0xffffu));
			sum += (double)av * (double)bv;
		}
#endif
		c[o] = (float)((double)c[o] + sum);
	}
	__syncwarp();
}

// The dynamic shared memory of the block that runs (C linkage, as the
// kernel's extern declaration inside an extern "C" function has). A file
// that declares it through SIL_EXTERN_SHARED keeps declaring it so when a
// main redefines __shared__ as static.
#define SIL_EXTERN_SHARED extern
extern "C" {
alignas(16) unsigned char smem[256 * 1024];
}

// sil_launch runs kernel(args...) for every block of grid (x, y), 256
// threads a block, with the shared memory poisoned before each block.
template <class F> void sil_launch(unsigned gx, unsigned gy, unsigned seed, F kernel) {
	gridDim = sil_dim3{gx, gy, 1};
	blockDim = sil_dim3{256, 1, 1};
	for (unsigned by = 0; by < gy; by++)
		for (unsigned bx = 0; bx < gx; bx++) {
			memset(smem, 0xab, sizeof smem); // poison
			sil_block* blk = new sil_block;
			std::vector<std::thread> th;
			for (unsigned t = 0; t < 256; t++)
				th.emplace_back([=] {
					sil_blk = blk;
					threadIdx = sil_dim3{t, 0, 0};
					blockIdx = sil_dim3{bx, by, 0};
					sil_lane = (int)(t & 31);
					sil_rng.seed(seed * 7919u + (by * gx + bx) * 256u + t);
					kernel();
					cp_wait<0>();
				});
			for (auto& x : th) x.join();
			delete blk;
		}
}

// ---- wgmma (the v5 loop, WG=1) ----
// Shared addresses are offsets into smem; a descriptor holds the start
// address, the leading and the stride byte offsets (each >> 4, 14 bits).
// Each thread computes its own accumulators of the warpgroup's product
// (row 16*(warp%4) + lane/4 + 8*(e/2), column 8*i + 2*(lane%4) + e%2 of
// d[4i+e]). A committed group runs at its commit or at the wait that
// retires it, at random (groups in order), so a tile refilled before the
// products that read it were waited for shows up as wrong results.
inline uint32_t smem_u32(const void* p) { return (uint32_t)((const unsigned char*)p - smem); }
inline void wg_fence() {}
template <int R> inline void wg_keep(float (&)[R]) {}
struct sil_wgop { float* d; int n; uint64_t da, db; int scale; };
inline thread_local std::vector<sil_wgop> sil_wg_open;
inline thread_local std::vector<std::vector<sil_wgop>> sil_wg_groups;
#if defined(SIL_IS_TF32)
constexpr int SIL_ES = 4; // bytes of an element (T is defined later, by the kernel)
#else
constexpr int SIL_ES = 2;
#endif
inline float sil_wg_elem(uint64_t desc, int row, int k) {
	uint32_t start = (uint32_t)(desc & 0x3FFFu) << 4, lbo = (uint32_t)((desc >> 16) & 0x3FFFu) << 4,
	         sbo = (uint32_t)((desc >> 32) & 0x3FFFu) << 4, layout = (uint32_t)(desc >> 62);
	uint32_t b = (uint32_t)(k * SIL_ES), a;
	if (layout == 0) { // core matrices of 8 rows x 16 bytes
		a = start + (row >> 3) * sbo + (b >> 4) * lbo + (row & 7) * 16 + (b & 15);
	} else { // rows of 128 (layout 1) or 64 (2) bytes; address bits 4.. XOR bits 7..
		uint32_t w = layout == 1 ? 128 : 64, mask = layout == 1 ? 7 : 3;
		a = start + (row >> 3) * sbo + (row & 7) * w + b;
		a ^= ((a >> 7) & mask) << 4;
	}
	const unsigned char* p = smem + a;
#if defined(SIL_IS_TF32)
	uint32_t w;
	memcpy(&w, p, 4);
	if ((w & 0x7f800000u) != 0x7f800000u) w &= 0xffffe000u; // wgmma truncates TF32 operands
	return __uint_as_float(w);
#else
	uint16_t h;
	memcpy(&h, p, 2);
	return sil_16(h);
#endif
}
inline void sil_wg_run(const sil_wgop& o) {
	int w4 = (threadIdx.x >> 5) & 3, lane = threadIdx.x & 31;
	const int K = 32 / SIL_ES;
	for (int i = 0; i < o.n / 8; i++)
		for (int e = 0; e < 4; e++) {
			int row = 16 * w4 + lane / 4 + 8 * (e / 2), col = 8 * i + 2 * (lane % 4) + (e % 2);
			double sum = 0;
			for (int k = 0; k < K; k++) sum += (double)sil_wg_elem(o.da, row, k) * (double)sil_wg_elem(o.db, col, k);
			float& d = o.d[4 * i + e];
			d = o.scale ? (float)((double)d + sum) : (float)sum;
		}
}
template <int R> inline void wg_mma(float (&d)[R], uint64_t da, uint64_t db, int scale) {
	sil_wg_open.push_back(sil_wgop{d, R * 2, da, db, scale});
}
inline void wg_commit() {
	sil_wg_groups.push_back(sil_wg_open);
	sil_wg_open.clear();
	if (sil_rng() & 1) { // run now: every group before it first
		for (auto& g : sil_wg_groups)
			for (auto& o : g) sil_wg_run(o);
		sil_wg_groups.clear();
	}
}
template <int N> inline void wg_wait() {
	while ((int)sil_wg_groups.size() > N) {
		for (auto& o : sil_wg_groups.front()) sil_wg_run(o);
		sil_wg_groups.erase(sil_wg_groups.begin());
	}
}

// The mains' files: `NAME IN OUT`. sil_open_in checks the arguments and
// opens IN; sil_read reads a value or an array of them from it; sil_out
// collects the outputs in memory and sil_save writes them to OUT. Any
// failure prints what failed and exits 1 (2 for a usage error), so a main
// holds only its layout.
inline FILE* sil_open_in(int argc, char** argv) {
	if (argc != 3) {
		fprintf(stderr, "usage: %s IN OUT\n", argv[0]);
		exit(2);
	}
	FILE* in = fopen(argv[1], "rb");
	if (!in) {
		perror(argv[1]);
		exit(1);
	}
	return in;
}
template <class X> inline void sil_read(FILE* in, X* p, size_t n, const char* what) {
	if (fread(p, sizeof(X), n, in) != n) {
		fprintf(stderr, "short %s\n", what);
		exit(1);
	}
}
template <class X> inline void sil_read(FILE* in, std::vector<X>& v, const char* what) { sil_read(in, v.data(), v.size(), what); }
inline std::vector<char> sil_out;
template <class X> inline void sil_write(const X* p, size_t n) {
	sil_out.insert(sil_out.end(), (const char*)p, (const char*)(p + n));
}
template <class X> inline void sil_write(const std::vector<X>& v) { sil_write(v.data(), v.size()); }
inline int sil_save(char** argv) {
	FILE* o = fopen(argv[2], "wb");
	if (!o || fwrite(sil_out.data(), 1, sil_out.size(), o) != sil_out.size() || fclose(o) != 0) {
		perror(argv[2]);
		return 1;
	}
	return 0;
}
