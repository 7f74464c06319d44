// The Silica MSL harness runtime: runs one kernel launch of a program
// built by package msltest, on the CPU.
//
// Threadgroups are spread over worker OS threads that run concurrently.
// Fibers switch with a few instructions of assembly on x86-64
// (fiber_switch.h, shared with the CUDA emulator of the cuda package's
// tests) and with ucontext elsewhere (the x86-64 path is the one CI runs).
// Within a threadgroup every thread is a fiber with a stack of its own; the
// fibers of a group take turns on their worker and switch at each
// synchronisation point (threadgroup_barrier, SIMD-group functions), so a
// barrier is a real barrier: no thread passes it before every thread of the
// group has reached it. The order in which runnable fibers are resumed is
// forward, reverse or shuffled (Request.order), so that a kernel relying
// on an order that a GPU does not promise gives different results under
// different orders.
//
// Protocol (little-endian, stdin then stdout), written by msltest:
//   request:  "SMSL1" name:str groups:u32[3] threads:u32[3] grid:u32[3] order:u32
//             seed:u64 workers:u32 stack_kb:u32
//             nbuf:u32 {index:u32 len:u64 bytes}  ntg:u32 {index:u32 len:u32}
//   response: "SMSLOK" then, for each buffer in request order, len:u64 bytes.
// A failure prints one line to stderr and exits with status 3.
#if defined(__APPLE__)
#define _XOPEN_SOURCE 700 // macOS hides the (deprecated) ucontext functions without it
#endif
#include "fiber_switch.h"
#include "silica_rt.h"

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include <sys/mman.h>
#include <unistd.h>

#if !defined(__x86_64__)
#include <ucontext.h>
#endif

namespace {

const char* g_kernel = "?";

[[noreturn]] void fail(const std::string& msg) {
	std::string line = "kernel " + std::string(g_kernel) + ": " + msg + "\n";
	ssize_t w = write(2, line.data(), line.size());
	(void)w;
	_exit(3);
}

size_t page_size() { return size_t(sysconf(_SC_PAGESIZE)); }
size_t round_up(size_t n, size_t m) { return (n + m - 1) / m * m; }

// guarded allocates len bytes that end (up to 16-byte alignment) at an
// inaccessible page, so that reading or writing past the end faults.
struct Guarded {
	char* base = nullptr;
	size_t total = 0;
	char* data = nullptr;
	size_t len = 0;
	char* guard = nullptr;
	void alloc(size_t n) {
		len = n;
		size_t body = round_up(std::max<size_t>(round_up(n, 16), 16), page_size());
		total = body + page_size();
		void* p = mmap(nullptr, total, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (p == MAP_FAILED) fail("mmap of " + std::to_string(total) + " bytes failed");
		base = (char*)p;
		guard = base + body;
		if (mprotect(guard, page_size(), PROT_NONE) != 0) fail("mprotect failed");
		data = guard - round_up(n, 16);
	}
};

// ---- fibers -------------------------------------------------------------

enum State { RUNNABLE, AT_BARRIER, AT_SIMD, DONE };

struct Fiber {
	void* sp = nullptr;
#if !defined(__x86_64__)
	ucontext_t uc;
#endif
	State state = DONE;
	unsigned op = 0;
	unsigned decl_next = 0; // kernel-scope threadgroup variables declared so far
	__silica_ctx ctx;
};

struct SimdGroup {
	alignas(64) char slots[32][64];
	alignas(64) char snap[32][64];
	unsigned active = 0;
};

struct Worker;
thread_local Worker* t_worker = nullptr;

void fiber_main(Fiber* f);
void fiber_entry(void* f) { fiber_main((Fiber*)f); }

struct Worker {
	int id = 0;
	const __silica_entry* entry = nullptr;
	std::vector<Fiber> fibers;
	std::vector<Guarded> stacks;
	std::vector<SimdGroup> simd;
	std::vector<Guarded> tgmem;
	size_t tgmem_bytes = 0;                         // [[threadgroup(n)]] lengths
	Guarded decl_arena;                             // kernel-scope threadgroup variables
	std::vector<std::pair<size_t, size_t>> decls;   // offset, size of each, this group
	size_t decl_used = 0;
	std::vector<unsigned> order;
	size_t stack_size = 0;
	Fiber* cur = nullptr;
	void* sched_sp = nullptr;
#if !defined(__x86_64__)
	ucontext_t sched_uc;
#endif
	std::mt19937_64 rng;
	char altstack[65536];

	void start(Fiber& f, size_t i) {
		f.state = RUNNABLE;
		char* top = stacks[i].guard; // stacks grow down from the end of the body
#if defined(__x86_64__)
		f.sp = sil_fiber_prepare(top, fiber_entry, &f);
#else
		getcontext(&f.uc);
		f.uc.uc_stack.ss_sp = stacks[i].data;
		f.uc.uc_stack.ss_size = stack_size;
		f.uc.uc_link = nullptr;
		makecontext(&f.uc, (void (*)())fiber_main, 1, &f);
#endif
	}

	void resume(Fiber& f) {
		cur = &f;
#if defined(__x86_64__)
		sil_fiber_switch(&sched_sp, f.sp);
#else
		swapcontext(&sched_uc, &f.uc);
#endif
		cur = nullptr;
	}

	// yield returns from the current fiber to the scheduler.
	void yield() {
		Fiber* f = cur;
#if defined(__x86_64__)
		sil_fiber_switch(&f->sp, sched_sp);
#else
		swapcontext(&f->uc, &sched_uc);
#endif
	}

	std::string where(const Fiber& f) const {
		char b[160];
		snprintf(b, sizeof b, "threadgroup (%u,%u,%u) thread %u", f.ctx.group[0], f.ctx.group[1],
			f.ctx.group[2], f.ctx.index);
		return b;
	}

	// resolve completes the SIMD-group functions and barriers that every
	// participant has reached; it returns false when nothing can proceed.
	bool resolve(size_t n) {
		bool released = false;
		for (size_t g = 0; g < (n + 31) / 32; g++) {
			size_t lo = g * 32, hi = std::min(n, lo + 32);
			unsigned waiting = 0, op = 0;
			bool blocked = false;
			for (size_t i = lo; i < hi; i++) {
				Fiber& f = fibers[i];
				if (f.state == AT_SIMD) {
					if (waiting && f.op != op)
						fail("SIMD group " + std::to_string(g) + " diverged: lanes wait in different SIMD-group functions (op " +
							std::to_string(op) + " and op " + std::to_string(f.op) + " at " + where(f) + ")");
					op = f.op;
					waiting |= 1u << (i - lo);
				} else if (f.state != DONE) {
					blocked = true;
				}
			}
			if (!waiting || blocked) continue;
			SimdGroup& s = simd[g];
			memcpy(s.snap, s.slots, sizeof s.snap);
			s.active = waiting;
			for (size_t i = lo; i < hi; i++)
				if (fibers[i].state == AT_SIMD) fibers[i].state = RUNNABLE;
			released = true;
		}
		if (released) return true;
		size_t at_barrier = 0, done = 0;
		const Fiber* exited = nullptr;
		for (size_t i = 0; i < n; i++) {
			Fiber& f = fibers[i];
			if (f.state == AT_BARRIER) at_barrier++;
			if (f.state == DONE) {
				done++;
				if (!exited) exited = &f;
			}
		}
		if (done == n) return false;
		if (at_barrier == n) {
			for (size_t i = 0; i < n; i++) fibers[i].state = RUNNABLE;
			return true;
		}
		if (at_barrier > 0 && at_barrier + done == n)
			fail("threadgroup_barrier is not reached by every thread: " + where(*exited) +
				" returned while others wait at the barrier");
		for (size_t i = 0; i < n; i++)
			if (fibers[i].state == AT_SIMD) {
				const Fiber& f = fibers[i];
				const Fiber* other = nullptr;
				for (size_t j = 0; j < n; j++)
					if (const Fiber& g = fibers[j]; g.ctx.simdgroup == f.ctx.simdgroup && g.state != AT_SIMD && g.state != DONE) other = &g;
				fail("deadlock: " + where(f) + " waits in a SIMD-group function while " +
					(other ? where(*other) + (other->state == AT_BARRIER ? " waits at threadgroup_barrier" : " is runnable") : std::string("no lane")) +
					" (divergent control flow)");
			}
		fail("deadlock in the threadgroup scheduler");
	}

	void run_group(unsigned gx, unsigned gy, unsigned gz, const __silica_ctx& proto, unsigned order_mode, uint64_t seed) {
		// a non-uniform grid makes the edge groups smaller
		unsigned g3[3] = {gx, gy, gz}, dims[3];
		for (int d = 0; d < 3; d++)
			dims[d] = std::min(proto.nominal[d], proto.grid[d] - g3[d] * proto.nominal[d]);
		size_t n = size_t(dims[0]) * dims[1] * dims[2];
		size_t nsimd = (n + 31) / 32;
		for (size_t i = 0; i < tgmem.size(); i++)
			if (tgmem[i].len) memset(tgmem[i].data, 0xff, tgmem[i].len); // poison: uninitialised memory reads NaN
		memset(decl_arena.data, 0xff, decl_arena.len);
		decls.clear();
		decl_used = 0;
		for (size_t i = 0; i < n; i++) {
			Fiber& f = fibers[i];
			f.ctx = proto;
			f.decl_next = 0;
			f.ctx.group[0] = gx, f.ctx.group[1] = gy, f.ctx.group[2] = gz;
			for (int d = 0; d < 3; d++) f.ctx.threads[d] = dims[d];
			f.ctx.simdgroups = unsigned(nsimd);
			unsigned tx = dims[0], ty = dims[1];
			f.ctx.index = unsigned(i);
			f.ctx.pos[0] = unsigned(i) % tx;
			f.ctx.pos[1] = unsigned(i) / tx % ty;
			f.ctx.pos[2] = unsigned(i) / (tx * ty);
			f.ctx.lane = unsigned(i) % 32;
			f.ctx.simdgroup = unsigned(i) / 32;
			for (size_t t = 0; t < tgmem.size(); t++) f.ctx.tgmem[t] = tgmem[t].data;
			start(f, i);
		}
		rng.seed(seed ^ (uint64_t(gx) * 0x9E3779B97F4A7C15ull) ^ (uint64_t(gy) << 21) ^ (uint64_t(gz) << 42));
		for (;;) {
			order.resize(n);
			switch (order_mode) {
			case 1:
				for (size_t i = 0; i < n; i++) order[i] = unsigned(n - 1 - i);
				break;
			case 2:
				for (size_t i = 0; i < n; i++) order[i] = unsigned(i);
				std::shuffle(order.begin(), order.end(), rng);
				break;
			default:
				for (size_t i = 0; i < n; i++) order[i] = unsigned(i);
			}
			for (unsigned i : order)
				if (i < n)
					while (fibers[i].state == RUNNABLE) resume(fibers[i]);
			if (!resolve(n)) return;
		}
	}
};

void fiber_main(Fiber* f) {
	Worker* w = t_worker;
	w->entry->fn(&f->ctx);
	f->state = DONE;
	w->yield();
	fail("a finished thread was resumed");
}

// ---- signals ------------------------------------------------------------

std::vector<Guarded>* g_buffers = nullptr;
std::vector<unsigned>* g_buffer_index = nullptr;

void on_fault(int sig, siginfo_t* si, void*) {
	char msg[512];
	uintptr_t a = uintptr_t(si->si_addr);
	const char* what = "outside every bound buffer (or a thread's stack overflowed)";
	char b[160];
	if (g_buffers)
		for (size_t i = 0; i < g_buffers->size(); i++) {
			Guarded& g = (*g_buffers)[i];
			if (a >= uintptr_t(g.guard) && a < uintptr_t(g.guard) + page_size()) {
				snprintf(b, sizeof b, "past the end of [[buffer(%u)]] (%zu bytes)", (*g_buffer_index)[i], g.len);
				what = b;
			}
		}
	Worker* w = t_worker;
	std::string at = w && w->cur ? w->where(*w->cur) : std::string("the launcher");
	snprintf(msg, sizeof msg, "kernel %s: %s at address %p, %s, in %s\n", g_kernel,
		sig == SIGSEGV ? "memory fault" : sig == SIGBUS ? "bus error" : sig == SIGFPE ? "arithmetic fault" : "illegal instruction",
		si->si_addr, what, at.c_str());
	ssize_t r = write(2, msg, strlen(msg));
	(void)r;
	_exit(3);
}

void install_handlers(Worker* w) {
	stack_t ss;
	ss.ss_sp = w->altstack;
	ss.ss_size = sizeof w->altstack;
	ss.ss_flags = 0;
	sigaltstack(&ss, nullptr);
}

// ---- I/O ----------------------------------------------------------------

void read_exact(void* p, size_t n) {
	char* c = (char*)p;
	while (n > 0) {
		size_t r = fread(c, 1, n, stdin);
		if (r == 0) fail("short request on stdin");
		c += r, n -= r;
	}
}
template <class T>
T rd() {
	T v;
	read_exact(&v, sizeof v);
	return v;
}
void write_exact(const void* p, size_t n) {
	if (fwrite(p, 1, n, stdout) != n) fail("short write on stdout");
}

const __silica_entry* find_entry(const std::string& name) {
	for (const __silica_entry* e = __silica_entries; e->name; e++)
		if (name == e->name) return e;
	return nullptr;
}

} // namespace

extern "C" void __silica_barrier(unsigned) {
	Worker* w = t_worker;
	w->cur->state = AT_BARRIER;
	w->yield();
}

extern "C" const void* __silica_simd_collect(const void* val, unsigned size, unsigned op, unsigned* active) {
	Worker* w = t_worker;
	Fiber* f = w->cur;
	SimdGroup& s = w->simd[f->ctx.simdgroup];
	memcpy(s.slots[f->ctx.lane], val, size);
	f->op = op;
	f->state = AT_SIMD;
	w->yield();
	*active = s.active;
	return s.snap;
}

extern "C" unsigned __silica_lane(void) { return t_worker->cur->ctx.lane; }

// __silica_tg_alloc backs a threadgroup variable declared in kernel scope:
// the k-th declaration a thread executes gets the group's k-th block, the
// same for every thread of the group.
extern "C" unsigned long __silica_tg_alloc(unsigned long size, unsigned long align) {
	Worker* w = t_worker;
	Fiber* f = w->cur;
	unsigned k = f->decl_next++;
	if (k < w->decls.size()) {
		if (w->decls[k].second != size)
			fail("threadgroup variables declared in divergent control flow (" + w->where(*f) + ")");
		return (unsigned long)(uintptr_t)(w->decl_arena.data + w->decls[k].first);
	}
	size_t off = round_up(w->decl_used, std::max<unsigned long>(align, 16));
	if (w->tgmem_bytes + off + size > 32768)
		fail("more than 32768 bytes of threadgroup memory (kernel-scope variables and [[threadgroup(n)]] lengths together)");
	w->decls.push_back({off, size});
	w->decl_used = off + size;
	return (unsigned long)(uintptr_t)(w->decl_arena.data + off);
}

extern "C" void __silica_trap(const char* msg) {
	Worker* w = t_worker;
	fail(std::string(msg) + (w && w->cur ? " in " + w->where(*w->cur) : ""));
}

int main(int argc, char** argv) {
	if (argc > 1 && std::string(argv[1]) == "-list") {
		for (const __silica_entry* e = __silica_entries; e->name; e++) printf("%s\n", e->name);
		return 0;
	}
	char magic[5];
	read_exact(magic, 5);
	if (memcmp(magic, "SMSL1", 5) != 0) fail("bad request magic");
	uint32_t nl = rd<uint32_t>();
	std::string name(nl, '\0');
	read_exact(&name[0], nl);
	static std::string kname = name;
	g_kernel = kname.c_str();
	const __silica_entry* entry = find_entry(name);
	if (!entry) fail("no such kernel in this program");
	__silica_ctx proto;
	memset(&proto, 0, sizeof proto);
	for (int i = 0; i < 3; i++) proto.groups[i] = rd<uint32_t>();
	for (int i = 0; i < 3; i++) proto.threads[i] = rd<uint32_t>();
	for (int i = 0; i < 3; i++) proto.grid[i] = rd<uint32_t>();
	for (int i = 0; i < 3; i++) {
		proto.nominal[i] = proto.threads[i];
		if (proto.grid[i] == 0) {
			proto.grid[i] = proto.groups[i] * proto.threads[i]; // uniform: whole threadgroups
		} else if (proto.threads[i] == 0 || (proto.grid[i] + proto.threads[i] - 1) / proto.threads[i] != proto.groups[i]) {
			fail("grid and threadgroup counts disagree");
		}
	}
	unsigned order = rd<uint32_t>();
	uint64_t seed = rd<uint64_t>();
	unsigned workers = rd<uint32_t>();
	unsigned stack_kb = rd<uint32_t>();
	size_t nthreads = size_t(proto.threads[0]) * proto.threads[1] * proto.threads[2];
	if (nthreads == 0 || nthreads > 1024) fail("threads per threadgroup must be 1..1024, got " + std::to_string(nthreads));
	for (int i = 0; i < 3; i++)
		if (proto.groups[i] == 0) fail("a grid dimension is zero");
	proto.simdgroups = unsigned((nthreads + 31) / 32);

	uint32_t nbuf = rd<uint32_t>();
	std::vector<Guarded> bufs(nbuf);
	std::vector<unsigned> bindex(nbuf);
	for (uint32_t i = 0; i < nbuf; i++) {
		bindex[i] = rd<uint32_t>();
		uint64_t len = rd<uint64_t>();
		if (bindex[i] >= SILICA_MAX_BINDINGS) fail("buffer index out of range");
		bufs[i].alloc(len);
		read_exact(bufs[i].data, len);
		proto.buffers[bindex[i]] = bufs[i].data;
		proto.buffer_len[bindex[i]] = len;
	}
	uint32_t ntg = rd<uint32_t>();
	std::vector<std::pair<unsigned, unsigned>> tgs(ntg);
	for (auto& t : tgs) {
		t.first = rd<uint32_t>();
		t.second = rd<uint32_t>();
		if (t.first >= SILICA_MAX_BINDINGS) fail("threadgroup memory index out of range");
	}
	size_t tg_total = 0;
	for (auto& t : tgs) tg_total += round_up(t.second, 16);
	if (tg_total > 32768) fail("more than 32768 bytes of threadgroup memory");
	g_buffers = &bufs;
	g_buffer_index = &bindex;

	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_sigaction = on_fault;
	sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
	sigaction(SIGSEGV, &sa, nullptr);
	sigaction(SIGBUS, &sa, nullptr);
	sigaction(SIGILL, &sa, nullptr);
	sigaction(SIGFPE, &sa, nullptr);

	uint64_t ngroups = uint64_t(proto.groups[0]) * proto.groups[1] * proto.groups[2];
	workers = std::max(1u, std::min<unsigned>(workers, unsigned(std::min<uint64_t>(ngroups, 64))));
	std::atomic<uint64_t> next{0};
	size_t stack = round_up(size_t(std::max(16u, stack_kb)) * 1024, page_size());
	auto work = [&](int id) {
		Worker* w = new Worker();
		t_worker = w;
		w->id = id;
		w->entry = entry;
		install_handlers(w);
		w->stack_size = stack;
		w->fibers.resize(nthreads);
		w->stacks.resize(nthreads);
		for (auto& s : w->stacks) {
			// a guard page below the stack catches overflow
			s.base = (char*)mmap(nullptr, stack + page_size(), PROT_READ | PROT_WRITE,
				MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
			if (s.base == (char*)MAP_FAILED) fail("cannot map thread stacks");
			mprotect(s.base, page_size(), PROT_NONE);
			s.guard = s.base + page_size() + stack;
			s.data = s.base + page_size();
		}
		w->simd.resize(proto.simdgroups);
		w->order.resize(nthreads);
		w->tgmem.resize(SILICA_MAX_BINDINGS);
		for (auto& t : tgs) w->tgmem[t.first].alloc(t.second);
		w->tgmem_bytes = tg_total;
		w->decl_arena.alloc(32768 - tg_total + 16);
		for (;;) {
			uint64_t g = next.fetch_add(1);
			if (g >= ngroups) break;
			unsigned gx = unsigned(g % proto.groups[0]);
			unsigned gy = unsigned(g / proto.groups[0] % proto.groups[1]);
			unsigned gz = unsigned(g / (uint64_t(proto.groups[0]) * proto.groups[1]));
			w->run_group(gx, gy, gz, proto, order, seed);
		}
	};
	std::vector<std::thread> ts;
	for (unsigned i = 1; i < workers; i++) ts.emplace_back(work, int(i));
	work(0);
	for (auto& t : ts) t.join();

	write_exact("SMSLOK", 6);
	for (auto& b : bufs) {
		uint64_t len = b.len;
		write_exact(&len, 8);
		write_exact(b.data, len);
	}
	fflush(stdout);
	return 0;
}
