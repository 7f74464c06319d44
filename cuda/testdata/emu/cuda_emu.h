// cuda_emu.h: enough of CUDA to run a Silica search kernel on the CPU, for
// the tests (cuda/emu_test.go). The 256 threads of a block are fibers (user
// contexts, each with a stack of its own) that take turns on one OS thread:
// a fiber runs until it reaches a barrier (__syncthreads: the block's 256
// threads; __syncwarp and every warp primitive: the warp's 32) or returns,
// and the next to run is drawn at random from those not waiting. Between
// two __syncthreads the draw is either of any thread or, in half of such
// intervals, of the first warp in a random order that has one ready, so
// that a warp runs ahead of the others; a missing barrier shows as a wrong
// result. The draws follow the launch's seed, so a run repeats. A barrier
// that can never complete (a thread returned, or waits at another barrier)
// is reported on stderr and aborts. Fibers switch with a few instructions
// of assembly on x86-64 and arm64 (clang), with ucontext elsewhere or with
// SIL_EMU_UCONTEXT defined. The PTX primitives the kernel writes under
// #ifndef SIL_EMU (cp.async, ldmatrix, mma.sync, cvt.rna.tf32) are given
// here with the semantics of the PTX ISA: fragment layouts of
// mma.m16n8k16 (f16, bf16) and mma.m16n8k8 (tf32), ldmatrix .x4, and
// cp.async whose copy lands at any moment between issue and the wait that
// covers it (here: at issue or at the wait, chosen at random per copy).
// Blocks run one after another. Compiled as C++20.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <math.h>
#include <random>
#include <vector>

#include <sys/mman.h>
#include <unistd.h>

// The fibers' switch (kernels/msltest/runtime/fiber_switch.h, copied
// beside this file by the tests): assembly on x86-64 and on arm64 with
// clang, ucontext elsewhere or with SIL_EMU_UCONTEXT.
#if defined(SIL_EMU_UCONTEXT)
#define SIL_FIBER_UCONTEXT 1
#endif
#include "fiber_switch.h"
#if defined(SIL_FIBER_ASM)
#define SIL_EMU_ASM SIL_FIBER_ASM
#else
#include <ucontext.h> // macOS declares it only under _XOPEN_SOURCE, which a main would define first
#endif

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
inline sil_dim3 blockIdx, blockDim, gridDim; // one block runs at a time

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

// ---- fibers ----
// sil_thread is an emulated thread: its threadIdx, lane, the random
// numbers of its cp.async and wgmma timing, its open cp.async and wgmma
// groups, and its fiber. sil_cur is the one that runs; threadIdx is its.
struct sil_copy { void* dst; const void* src; bool valid; };
struct sil_wgop { float* d; int n; uint64_t da, db; int scale; };
struct sil_thread {
	sil_dim3 tid;
	int lane;
	std::mt19937 rng;
	std::vector<sil_copy> open;
	std::vector<std::vector<sil_copy>> groups;
	std::vector<sil_wgop> wg_open;
	std::vector<std::vector<sil_wgop>> wg_groups;
	bool done;        // returned from the kernel
	void* sp;         // its saved stack pointer (assembly switch)
#if !defined(SIL_EMU_ASM)
	ucontext_t uc;
#endif
};
inline sil_thread* sil_cur;
#define threadIdx (sil_cur->tid)

// A barrier of n threads: those that wait at it.
struct sil_bar {
	int n, arrived;
	sil_thread* waiting[256];
};
// One block's threads: the block barrier, and per warp a barrier and the
// slots lanes exchange values through.
struct sil_warp {
	sil_bar bar;
	uint64_t slot[32];
	const void* ptr[32];
	uint32_t frag[32][6];
};
struct sil_block {
	sil_bar bar;
	sil_warp warps[8];
	int noes; // __syncthreads_and's threads voting false
};

// The scheduler: the block that runs, its threads, those ready to run (per
// warp, in no order), how many have returned, the order of the draws, and
// the context of sil_launch that resumes when all have.
inline sil_block* sil_blk;
inline std::vector<sil_thread> sil_threads;
inline sil_thread* sil_ready[8][32];
inline int sil_nready_w[8], sil_nready, sil_ndone;
inline uint64_t sil_order;  // xorshift state of the draws
inline bool sil_by_warp;    // draw from the first warp of sil_warps that has a thread ready
inline int sil_warps[8];
inline void* sil_main_sp;
#if !defined(SIL_EMU_ASM)
inline ucontext_t sil_main_uc;
#endif

// Each fiber's stack: SIL_EMU_STACK_KB (512 KiB), above a page that faults.
#ifndef SIL_EMU_STACK_KB
#define SIL_EMU_STACK_KB 512
#endif
inline std::vector<char*> sil_stacks; // the top of each
inline void sil_alloc_stacks() {
	size_t page = (size_t)sysconf(_SC_PAGESIZE), size = (size_t)SIL_EMU_STACK_KB * 1024;
	size = (size + page - 1) / page * page;
	int flags = MAP_PRIVATE | MAP_ANON;
#ifdef MAP_NORESERVE
	flags |= MAP_NORESERVE;
#endif
	for (int t = 0; t < 256; t++) {
		void* p = mmap(nullptr, size + page, PROT_READ | PROT_WRITE, flags, -1, 0);
		if (p == MAP_FAILED || mprotect(p, page, PROT_NONE) != 0) {
			perror("cuda_emu: fiber stack");
			abort();
		}
		sil_stacks.push_back((char*)p + page + size);
	}
}

// sil_kernel_fn(sil_kernel_arg) runs the kernel (sil_launch's).
inline void (*sil_kernel_fn)(void*);
inline void* sil_kernel_arg;
[[noreturn]] inline void sil_fiber_main(sil_thread* t);
#if !defined(SIL_EMU_ASM)
inline void sil_fiber_entry() { sil_fiber_main(sil_cur); } // sil_to set sil_cur
#endif

// sil_start makes t's fiber start at sil_fiber_main(t) when resumed.
#if defined(SIL_EMU_ASM)
inline void sil_fiber_run(void* t) { sil_fiber_main((sil_thread*)t); }
#endif
inline void sil_start(sil_thread* t, char* top) {
	t->done = false;
#if defined(SIL_EMU_ASM)
	t->sp = sil_fiber_prepare(top, sil_fiber_run, t);
#else
	size_t size = (size_t)SIL_EMU_STACK_KB * 1024;
	getcontext(&t->uc);
	t->uc.uc_stack.ss_sp = top - size;
	t->uc.uc_stack.ss_size = size;
	t->uc.uc_link = nullptr;
	makecontext(&t->uc, sil_fiber_entry, 0);
#endif
}

// sil_to switches from the context saved in (sp, uc) to thread t's.
#if defined(SIL_EMU_ASM)
inline void sil_to(void** sp, sil_thread* t) {
	sil_cur = t;
	sil_fiber_switch(sp, t->sp);
}
#else
inline void sil_to(ucontext_t* uc, sil_thread* t) {
	sil_cur = t;
	swapcontext(uc, &t->uc);
}
#endif

[[noreturn]] inline void sil_deadlock() {
	fprintf(stderr, "cuda_emu: deadlock in block (%u, %u): no thread can run;", blockIdx.x, blockIdx.y);
	if (sil_blk->bar.arrived) fprintf(stderr, " %d of 256 threads wait at __syncthreads;", sil_blk->bar.arrived);
	for (int w = 0; w < 8; w++)
		if (sil_blk->warps[w].bar.arrived)
			fprintf(stderr, " %d of warp %d's 32 wait at __syncwarp or a warp primitive;", sil_blk->warps[w].bar.arrived, w);
	fprintf(stderr, " %d returned\n", sil_ndone);
	abort();
}

inline uint32_t sil_rand() {
	sil_order ^= sil_order << 13;
	sil_order ^= sil_order >> 7;
	sil_order ^= sil_order << 17;
	return (uint32_t)(sil_order >> 32);
}
inline void sil_ready_add(sil_thread* t) {
	int w = (int)(t->tid.x >> 5);
	sil_ready[w][sil_nready_w[w]++] = t;
	sil_nready++;
}
// sil_interval draws how the threads take turns until the next
// __syncthreads: in half of the intervals each draw is of any ready thread,
// in the other half of a ready thread of the first warp in an order drawn
// here, so that a warp runs ahead of others (through its warp barriers) as
// far as the block barrier, as on a GPU it may.
inline void sil_interval() {
	uint32_t r = sil_rand();
	sil_by_warp = r & 1;
	for (int i = 0; i < 8; i++) sil_warps[i] = i;
	for (int i = 7; i > 0; i--) {
		int j = (int)(sil_rand() % (uint32_t)(i + 1)), x = sil_warps[i];
		sil_warps[i] = sil_warps[j];
		sil_warps[j] = x;
	}
}
// sil_draw takes a ready thread (there is one) at random.
inline sil_thread* sil_draw() {
	uint32_t r = sil_rand();
	int w = 0, i;
	if (sil_by_warp) {
		for (int k = 0; k < 8; k++)
			if (sil_nready_w[w = sil_warps[k]]) break;
		i = (int)(r % (uint32_t)sil_nready_w[w]);
	} else {
		i = (int)(r % (uint32_t)sil_nready);
		while (i >= sil_nready_w[w]) i -= sil_nready_w[w++];
	}
	sil_thread* t = sil_ready[w][i];
	sil_ready[w][i] = sil_ready[w][--sil_nready_w[w]];
	sil_nready--;
	return t;
}

// sil_yield runs the next ready thread, drawn at random, and returns when
// the scheduler resumes the caller (at once if it is the one drawn). When
// no thread is ready, all have returned (back to sil_launch) or the block
// is deadlocked.
inline void sil_yield() {
	sil_thread* me = sil_cur;
	if (sil_nready == 0) {
		if (sil_ndone < 256) sil_deadlock();
		sil_cur = nullptr;
#if defined(SIL_EMU_ASM)
		sil_fiber_switch(&me->sp, sil_main_sp);
#else
		swapcontext(&me->uc, &sil_main_uc);
#endif
		return; // not reached: a returned thread is not resumed
	}
	sil_thread* t = sil_draw();
	if (t == me) return;
#if defined(SIL_EMU_ASM)
	sil_to(&me->sp, t);
#else
	sil_to(&me->uc, t);
#endif
}

// sil_wait is a barrier of b->n threads: the caller waits until all have
// arrived; then all are ready again, the caller too, and the next to run
// is drawn.
inline void sil_wait(sil_bar* b) {
	sil_thread* me = sil_cur;
	if (++b->arrived < b->n) {
		b->waiting[b->arrived - 1] = me;
	} else {
		for (int i = 0; i < b->n - 1; i++) sil_ready_add(b->waiting[i]);
		b->arrived = 0;
		sil_ready_add(me);
		if (b == &sil_blk->bar) sil_interval();
	}
	sil_yield();
}

inline sil_warp* sil_w() { return &sil_blk->warps[threadIdx.x >> 5]; }

inline void __syncthreads() { sil_wait(&sil_blk->bar); }
// __syncthreads_and: a barrier that returns whether every thread's p
// holds (the count reset behind a third barrier, so that no thread votes
// again before it is).
inline int __syncthreads_and(int p) {
	if (!p) sil_blk->noes++;
	__syncthreads();
	int all = sil_blk->noes == 0;
	__syncthreads();
	if (threadIdx.x == 0) sil_blk->noes = 0;
	__syncthreads();
	return all;
}
inline void __threadfence() { __atomic_thread_fence(__ATOMIC_SEQ_CST); }
inline void __syncwarp(unsigned = 0xffffffffu) { sil_wait(&sil_w()->bar); }

template <class V> inline V sil_xchg(V v, int src) {
	sil_warp* w = sil_w();
	uint64_t bits = 0;
	memcpy(&bits, &v, sizeof v);
	w->slot[sil_cur->lane] = bits;
	__syncwarp();
	uint64_t o = w->slot[src];
	__syncwarp();
	V r;
	memcpy(&r, &o, sizeof r);
	return r;
}
template <class V> inline V __shfl_xor_sync(unsigned, V v, int o) { return sil_xchg(v, sil_cur->lane ^ o); }
template <class V> inline V __shfl_up_sync(unsigned, V v, int d) { return sil_xchg(v, sil_cur->lane >= d ? sil_cur->lane - d : sil_cur->lane); }
template <class V> inline V __shfl_sync(unsigned, V v, int src) { return sil_xchg(v, src); }
inline unsigned __ballot_sync(unsigned, bool p) {
	sil_warp* w = sil_w();
	w->slot[sil_cur->lane] = p;
	__syncwarp();
	unsigned b = 0;
	for (int l = 0; l < 32; l++) b |= (w->slot[l] ? 1u : 0u) << l;
	__syncwarp();
	return b;
}
inline unsigned __match_any_sync(unsigned, int v) {
	sil_warp* w = sil_w();
	w->slot[sil_cur->lane] = (uint64_t)(int64_t)v;
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
inline void sil_land(const sil_copy& c) {
	if (c.valid) memcpy(c.dst, c.src, 16);
	else memset(c.dst, 0, 16);
}
inline void cp_async16(void* dst, const void* src, bool valid) {
	sil_copy c{dst, src, valid};
	if (sil_cur->rng() & 1) sil_land(c);
	else sil_cur->open.push_back(c);
}
inline void cp_commit() {
	sil_thread* me = sil_cur;
	me->groups.push_back(me->open);
	me->open.clear();
}
template <int N> inline void cp_wait() {
	auto& groups = sil_cur->groups;
	while ((int)groups.size() > N) {
		for (auto& c : groups.front()) sil_land(c);
		groups.erase(groups.begin());
	}
}
inline void prefetch_l2(const void*) {}

// ldmatrix .x4 of 16-bit elements: lane l gives the address of row l%8 of
// matrix l/8 and receives word l%4 of row l/4 of each matrix.
inline void ldsm_x4(uint32_t (&r)[4], const void* p) {
	sil_warp* w = sil_w();
	w->ptr[sil_cur->lane] = p;
	__syncwarp();
	for (int i = 0; i < 4; i++) memcpy(&r[i], (const unsigned char*)w->ptr[8 * i + sil_cur->lane / 4] + 4 * (sil_cur->lane % 4), 4);
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
	uint32_t* f = w->frag[sil_cur->lane];
	for (int i = 0; i < 4; i++) f[i] = a[i];
	f[4] = b0;
	f[5] = b1;
	__syncwarp();
	int g = sil_cur->lane >> 2, t = sil_cur->lane & 3;
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

[[noreturn]] inline void sil_fiber_main(sil_thread* t) {
	sil_kernel_fn(sil_kernel_arg);
	cp_wait<0>();
	t->done = true;
	sil_ndone++;
	sil_yield();
	abort(); // not reached
}

// sil_launch runs kernel(args...) for every block of grid (x, y), 256
// threads a block, with the shared memory poisoned before each block.
template <class F> void sil_launch(unsigned gx, unsigned gy, unsigned seed, F kernel) {
	gridDim = sil_dim3{gx, gy, 1};
	blockDim = sil_dim3{256, 1, 1};
	if (sil_stacks.empty()) {
		sil_alloc_stacks();
		sil_threads.resize(256);
	}
	sil_kernel_fn = [](void* k) { (*(F*)k)(); };
	sil_kernel_arg = &kernel;
	sil_block* blk = new sil_block;
	for (unsigned by = 0; by < gy; by++)
		for (unsigned bx = 0; bx < gx; bx++) {
			memset(smem, 0xab, sizeof smem); // poison
			blk->bar = {256, 0, {}};
			blk->noes = 0;
			for (auto& w : blk->warps) w.bar = {32, 0, {}};
			sil_blk = blk;
			blockIdx = sil_dim3{bx, by, 0};
			unsigned b = by * gx + bx;
			sil_order = ((uint64_t)seed << 32 | b) * 0x9E3779B97F4A7C15ull | 1;
			sil_nready = sil_ndone = 0;
			for (int& n : sil_nready_w) n = 0;
			sil_interval();
			for (unsigned t = 0; t < 256; t++) {
				sil_thread* th = &sil_threads[t];
				th->tid = sil_dim3{t, 0, 0};
				th->lane = (int)(t & 31);
				th->rng.seed(seed * 7919u + b * 256u + t);
				th->open.clear();
				th->groups.clear();
				th->wg_open.clear();
				th->wg_groups.clear();
				sil_start(th, sil_stacks[t]);
				sil_ready_add(th);
			}
			// Into a thread drawn at random; back when all have returned.
			sil_thread* first = sil_draw();
#if defined(SIL_EMU_ASM)
			sil_to(&sil_main_sp, first);
#else
			sil_to(&sil_main_uc, first);
#endif
		}
	delete blk;
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
	sil_cur->wg_open.push_back(sil_wgop{d, R * 2, da, db, scale});
}
inline void wg_commit() {
	sil_thread* me = sil_cur;
	me->wg_groups.push_back(me->wg_open);
	me->wg_open.clear();
	if (me->rng() & 1) { // run now: every group before it first
		for (auto& g : me->wg_groups)
			for (auto& o : g) sil_wg_run(o);
		me->wg_groups.clear();
	}
}
template <int N> inline void wg_wait() {
	auto& groups = sil_cur->wg_groups;
	while ((int)groups.size() > N) {
		for (auto& o : groups.front()) sil_wg_run(o);
		groups.erase(groups.begin());
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
