// topk.cu: selection of the k best entries of each row, best first.
//
// One block per row. A radix select over 64-bit rank keys (prelude.cuh)
// finds the k-th key in at most eight passes of 8-bit histograms, then the
// k selected keys are sorted in shared memory (or in scratch for large k)
// and decoded. Keys are unique (the low half is the index), so the result
// is exactly the CPU's: largest or smallest first, ties to the smaller
// index, NaN last. Any k works, up to the row length.
//
// radix_pass and radix_collect select over few long rows (a search's
// score rows, 1M long) with many blocks a row: each pass, every block
// counts the next RADIX_BITS-bit digit of its slice's keys into the row's global
// histogram and the last block to finish picks the digit of the k-th key
// (the same choice as select_keys). Once the keys at or before that
// prefix are few (at most cap in its digit, or exactly the ones still
// wanted), radix_collect appends them to the row's candidate buffer, and
// topk_select over the buffers orders them, or for a few rows rank_select
// (each key's rank counted by many blocks a row).
//
// Defines: T, the element type of score rows (float, f16, bf16).

#ifndef SIL_T
#define SIL_T float
#endif
#define T SIL_T

// SIL_EXTERN_SHARED declares the block's dynamic shared memory (the CPU
// emulator, whose tests of this file make the __shared__ arrays statics,
// defines it as plain extern).
#ifndef SIL_EXTERN_SHARED
#define SIL_EXTERN_SHARED extern __shared__
#endif

struct select_state {
	u64 prefix;
	int krem;
	int shift;
	int done;
};

// pick_digit finds the bin of an NB-bin histogram (NB a multiple of
// 32; hist in shared memory and complete: called after a
// __syncthreads) that holds the krem-th key: the first bin b below
// NB - 1 whose running sum reaches krem, else NB - 1; before is the sum
// of the bins before b. Warp 0 sums NB/32 bins a lane and scans the
// lanes' sums with shuffles, where one thread walked up to NB - 1 bins,
// a dependent load each; every thread of the block calls it and gets
// the answer.
template <int NB>
__device__ __forceinline__ void pick_digit(const u32* hist, int krem, int& bin, int& before) {
	__shared__ int pb, pc;
	if (threadIdx.x < 32) {
		const int per = NB / 32;
		int lane = threadIdx.x;
		int own = 0;
		for (int j = 0; j < per; j++) own += (int)hist[per * lane + j];
		int inc = own;
		for (int o = 1; o < 32; o <<= 1) {
			int t = __shfl_up_sync(0xffffffffu, inc, o);
			if (lane >= o) inc += t;
		}
		unsigned reach = __ballot_sync(0xffffffffu, inc >= krem);
		int l = reach ? __ffs(reach) - 1 : 31;
		if (lane == l) {
			int c = inc - own, b = per * lane;
			for (; b < NB - 1; b++) {
				if (c + (int)hist[b] >= krem) break;
				c += (int)hist[b];
			}
			pb = b;
			pc = c;
		}
	}
	__syncthreads();
	bin = pb;
	before = pc;
}

// select_keys finds which keys of a row are among its k smallest: on
// return, key is selected when (key >> st.shift) < st.prefix, or == with
// at most st.krem of those taken.
template <typename F>
__device__ void select_keys(F key_at, i64 L, int k, select_state& out) {
	__shared__ u32 hist[256];
	__shared__ select_state st;
	if (threadIdx.x == 0) { st.prefix = 0; st.krem = k; st.shift = 64; st.done = 0; }
	int lane = threadIdx.x & 31;
	for (int pass = 0; pass < 8; pass++) {
		int sh = 56 - 8 * pass;
		for (int b = threadIdx.x; b < 256; b += blockDim.x) hist[b] = 0;
		__syncthreads();
		u64 prefix = st.prefix;
		for (i64 i0 = 0; i0 < L; i0 += blockDim.x) {
			i64 i = i0 + threadIdx.x;
			int digit = -1;
			if (i < L) {
				u64 key = key_at(i);
				if (pass == 0 || (key >> (sh + 8)) == prefix) digit = (int)((key >> sh) & 255u);
			}
			unsigned peers = __match_any_sync(0xffffffffu, digit);
			if (digit >= 0 && lane == __ffs(peers) - 1) atomicAdd(&hist[digit], (u32)__popc(peers));
		}
		__syncthreads();
		int b, c;
		pick_digit<256>(hist, st.krem, b, c);
		if (threadIdx.x == 0) {
			st.krem -= c;
			st.prefix = (st.prefix << 8) | (u64)b;
			st.shift = sh;
			st.done = (int)hist[b] == st.krem;
		}
		__syncthreads();
		if (st.done) break;
	}
	out = st;
	__syncthreads();
}

// collect_keys writes the k keys of a row that select_keys chose (st)
// into buf[0:k), in no order.
template <typename F>
__device__ void collect_keys(F key_at, i64 L, int k, const select_state& st, u64* buf) {
	__shared__ int nless, neq;
	if (threadIdx.x == 0) { nless = 0; neq = 0; }
	__syncthreads();
	int less = k - st.krem;
	for (i64 i = threadIdx.x; i < L; i += blockDim.x) {
		u64 key = key_at(i);
		u64 hi = key >> st.shift;
		if (hi < st.prefix) {
			buf[atomicAdd(&nless, 1)] = key;
		} else if (hi == st.prefix) {
			int p = atomicAdd(&neq, 1);
			if (p < st.krem) buf[less + p] = key;
		}
	}
	__syncthreads();
}

// collect_sort writes the k selected keys of a row into buf[0:kp), pads
// the rest with EMPTY_KEY and sorts them.
template <typename F>
__device__ void collect_sort(F key_at, i64 L, int k, int kp, const select_state& st, u64* buf) {
	for (int i = k + threadIdx.x; i < kp; i += blockDim.x) buf[i] = EMPTY_KEY;
	collect_keys(key_at, L, k, st, buf);
	block_sort(buf, kp);
}

// topk_select: rows of length L, either scores x (keys == 0) or rank keys
// (keys != 0, in keys_in); out: vals/idx [rows][k] (when vals != 0) or keys
// out_keys [rows][k]. The kp keys (k rounded up to a power of two) a
// block sorts are in its dynamic shared memory when kp <= smem_keys (the
// launch gives it 8*kp bytes), else in scratch, which then holds rows*kp
// keys.
extern "C" __global__ void __launch_bounds__(512) topk_select(
	const T* x, const u64* keys_in, i64 rows, i64 L, int k, int largest,
	float* vals, i64* idx, u64* out_keys, u64* scratch, int smem_keys)
{
	SIL_EXTERN_SHARED __align__(16) unsigned char smem[];
	u64* sbuf = (u64*)smem;
	int kp = pow2_at_least(k);
	for (i64 row = blockIdx.x; row < rows; row += gridDim.x) {
		const T* xr = x ? x + row * L : 0;
		const u64* kr = keys_in ? keys_in + row * L : 0;
		bool lg = largest != 0;
		auto key_at = [&](i64 i) -> u64 {
			if (kr) return kr[i];
			return make_key(to_f32(xr[i]), lg, (u32)i);
		};
		select_state st;
		select_keys(key_at, L, k, st);
		u64* buf = kp <= smem_keys ? sbuf : scratch + row * (i64)kp;
		collect_sort(key_at, L, k, kp, st, buf);
		for (int i = threadIdx.x; i < k; i += blockDim.x) {
			u64 key = buf[i];
			if (vals) {
				vals[row * k + i] = unrank32((u32)(key >> 32), lg);
				idx[row * k + i] = (i64)(key & 0xffffffffu);
			} else {
				out_keys[row * k + i] = key;
			}
		}
		__syncthreads();
	}
}

// The multi-block select's digits: RADIX_BITS bits of the 64-bit key a
// pass (5 to 11: pick_digit takes whole lanes of bins, and radix_pass's
// histogram is in shared memory), from its top, in RADIX_PASSES passes
// (the last takes the bits left); cuda/topk.go's radixBits sets it
// (selectVariant's define).
#ifndef SIL_RADIX_BITS
#error "SIL_RADIX_BITS is not defined"
#endif
#define RADIX_BITS SIL_RADIX_BITS
#define RADIX_BINS (1 << RADIX_BITS)
#define RADIX_PASSES ((64 + RADIX_BITS - 1) / RADIX_BITS)

// radix_state is one row's progress through the multi-block select
// (32 bytes; zeroed before the first pass).
struct radix_state {
	u64 prefix; // digits chosen so far
	int krem;   // keys still to take among those whose top digits equal prefix
	int shift;  // bits below prefix
	int done;   // the keys at or before prefix fit the candidate buffer
	u32 arrived; // blocks of this pass that have finished
	u32 count;  // keys collected
	u32 pad;
};

// last_to_arrive counts the block's arrival in *arrived, once its
// writes are visible to the other blocks, and returns true (in every
// thread) in the last to arrive of the blocks (a count) that arrive
// there, which then sees the others' writes. Every thread of the block
// calls it.
__device__ __forceinline__ bool last_to_arrive(u32* arrived, u32 blocks) {
	__shared__ int last;
	__threadfence();
	__syncthreads();
	if (threadIdx.x == 0) last = atomicAdd(arrived, 1u) == blocks - 1;
	__syncthreads();
	if (!last) return false;
	__threadfence();
	return true;
}

__device__ __forceinline__ u64 score_key(const T* xr, i64 i, bool lg) { return make_key(to_f32(xr[i]), lg, (u32)i); }

// radix_pass: pass number pass (0 to RADIX_PASSES - 1) over rows x
// [rows][L] (grid: x blocks a row, y rows): the digit of bits [sh, top)
// of the keys whose bits from top up are the prefix chosen so far; st
// [rows] and hist [rows][RADIX_BINS] zeroed before pass 0, and left
// zeroed by each pass for the next.
extern "C" __global__ void __launch_bounds__(512) radix_pass(
	const T* x, i64 L, int k, int largest, int pass, int cap, radix_state* state, u32* hist)
{
	__shared__ u32 h[RADIX_BINS];
	i64 row = blockIdx.y;
	radix_state* s = state + row;
	if (pass > 0 && s->done) return;
	u64 prefix = pass > 0 ? s->prefix : 0;
	int top = 64 - RADIX_BITS * pass;
	int sh = max(0, top - RADIX_BITS);
	u64 mask = (1ull << (top - sh)) - 1;
	for (int b = threadIdx.x; b < RADIX_BINS; b += blockDim.x) h[b] = 0;
	__syncthreads();
	const T* xr = x + row * L;
	bool lg = largest != 0;
	int lane = threadIdx.x & 31;
	i64 stride = (i64)gridDim.x * blockDim.x;
	for (i64 i0 = (i64)blockIdx.x * blockDim.x; i0 < L; i0 += stride) {
		i64 i = i0 + threadIdx.x;
		int digit = -1;
		if (i < L) {
			u64 key = score_key(xr, i, lg);
			if (pass == 0 || (key >> top) == prefix) digit = (int)((key >> sh) & mask);
		}
		unsigned peers = __match_any_sync(0xffffffffu, digit);
		if (digit >= 0 && lane == __ffs(peers) - 1) atomicAdd(&h[digit], (u32)__popc(peers));
	}
	__syncthreads();
	u32* hr = hist + row * RADIX_BINS;
	for (int b = threadIdx.x; b < RADIX_BINS; b += blockDim.x)
		if (h[b]) atomicAdd(&hr[b], h[b]);
	if (!last_to_arrive(&s->arrived, gridDim.x)) return;
	volatile u32* vh = hr;
	for (int b = threadIdx.x; b < RADIX_BINS; b += blockDim.x) {
		h[b] = vh[b];
		vh[b] = 0;
	}
	__syncthreads();
	int krem = pass > 0 ? s->krem : k;
	int b, c;
	pick_digit<RADIX_BINS>(h, krem, b, c);
	if (threadIdx.x == 0) {
		int hb = (int)h[b];
		krem -= c;
		s->prefix = (prefix << (top - sh)) | (u64)b;
		s->krem = krem;
		s->shift = sh;
		s->done = hb == krem || hb <= cap;
		s->arrived = 0;
	}
}

// radix_collect appends the keys of each row at or before its prefix
// (after the passes: k - krem + at most cap keys, or exactly k) to out
// [rows][kcap], which holds EMPTY_KEY elsewhere; grid as radix_pass.
extern "C" __global__ void __launch_bounds__(512) radix_collect(
	const T* x, i64 L, int largest, int kcap, radix_state* state, u64* out)
{
	i64 row = blockIdx.y;
	radix_state* s = state + row;
	u64 prefix = s->prefix;
	int sh = s->shift;
	const T* xr = x + row * L;
	u64* o = out + row * (i64)kcap;
	bool lg = largest != 0;
	int lane = threadIdx.x & 31;
	i64 stride = (i64)gridDim.x * blockDim.x;
	for (i64 i0 = (i64)blockIdx.x * blockDim.x; i0 < L; i0 += stride) {
		i64 i = i0 + threadIdx.x;
		u64 key = i < L ? score_key(xr, i, lg) : EMPTY_KEY;
		bool take = i < L && (key >> sh) <= prefix;
		unsigned bal = __ballot_sync(0xffffffffu, take);
		if (bal == 0) continue;
		u32 base = 0;
		if (lane == 0) base = atomicAdd(&s->count, (u32)__popc(bal));
		base = __shfl_sync(0xffffffffu, base, 0);
		if (take) o[base + __popc(bal & ((1u << lane) - 1u))] = key;
	}
}

// rank_select orders the candidates of a few rows by counting
// (radix_collect's: the first state[row].count keys of cand [rows][kcap],
// unique) where topk_select would sort them in one block a row. Block
// (a, b) of a row (grid: x tiles*tiles blocks, tiles = ceil(kcap /
// RANK_TILE); y rows) adds to rank[i], for each key i of tile a, how many
// keys of tile b rank before it; the last of tile a's blocks to finish
// writes each key of tile a of rank below k to vals/idx [rows][k] at its
// rank, so the tiles are written in parallel. rank holds [rows][kcap]
// ranks, then [rows][tiles] arrival counts, all zeroed before. Every rank
// below k is written once: the keys are unique, so the ranks of a row's
// count keys are 0 to count - 1, and count >= k.
#define RANK_TILE 256
extern "C" __global__ void __launch_bounds__(256) rank_select(
	const u64* cand, int kcap, int k, int largest, radix_state* state, u32* rank, float* vals, i64* idx)
{
	__shared__ u64 tile[RANK_TILE];
	i64 row = blockIdx.y;
	radix_state* s = state + row;
	int n = min((int)s->count, kcap);
	int tiles = (kcap + RANK_TILE - 1) / RANK_TILE;
	int a = (int)blockIdx.x / tiles, b = (int)blockIdx.x % tiles;
	const u64* c = cand + row * (i64)kcap;
	u32* rk = rank + row * (i64)kcap;
	int end = min(n, (a + 1) * RANK_TILE); // tile a is keys [a * RANK_TILE, end)
	if (a * RANK_TILE < n && b * RANK_TILE < n) {
		int nb = min(RANK_TILE, n - b * RANK_TILE);
		for (int j = threadIdx.x; j < nb; j += blockDim.x) tile[j] = c[b * RANK_TILE + j];
		__syncthreads();
		for (int i = a * RANK_TILE + threadIdx.x; i < end; i += blockDim.x) {
			u64 key = c[i];
			u32 cnt = 0;
#pragma unroll 8
			for (int j = 0; j < nb; j++) cnt += tile[j] < key ? 1u : 0u;
			if (cnt) atomicAdd(&rk[i], cnt);
		}
	}
	u32* arrived = rank + (i64)gridDim.y * kcap + row * tiles;
	if (!last_to_arrive(arrived + a, (u32)tiles)) return;
	volatile u32* vr = rk;
	bool lg = largest != 0;
	for (int i = a * RANK_TILE + threadIdx.x; i < end; i += blockDim.x) {
		u32 r = vr[i];
		if (r < (u32)k) {
			u64 key = c[i];
			vals[row * k + r] = unrank32((u32)(key >> 32), lg);
			idx[row * k + r] = (i64)(key & 0xffffffffu);
		}
	}
}

// mask_rows (engine.OpMaskRows): scores x [total] (rows of n) as float,
// each whose row r fails the bitmap (bit r%32 of word r/32 clear) replaced
// by the worst score: -Inf when largest, +Inf otherwise. A grid-stride
// loop, one thread a score.
extern "C" __global__ void __launch_bounds__(256) mask_rows(
	const T* x, const u32* bits, i64 total, i64 n, int largest, float* y)
{
	for (i64 i = (i64)blockIdx.x * blockDim.x + threadIdx.x; i < total; i += (i64)gridDim.x * blockDim.x) {
		i64 r = i % n;
		float v = to_f32(x[i]);
		if (((bits[r >> 5] >> (r & 31)) & 1u) == 0u) v = masked_score(largest);
		y[i] = v;
	}
}

// The candidate select (cuda/scan.go's candSelect) keeps, for each query
// of a chunk, a buffer buf [C] of rank keys: every key better than the
// query's threshold thr (EMPTY_KEY at first) is appended as a part of
// the rows is scored, and when a buffer holds more than `at` keys,
// cand_compact keeps its best k and makes the worst of them the
// threshold. No row better than the k-th of the keys kept can be lost,
// and a row worse than it can never be among the best k.

// cand_filter appends to each query's buffer the keys of its scores
// [G][P] (rows base to base+P) better than its threshold; a row that
// fails the bitmap bits (when not 0) scores the worst, as mask_rows does.
// grid: x blocks over the part, y the G queries; each thread takes four
// consecutive scores at a time (one 16-byte load when P is a multiple of
// 4).
extern "C" __global__ void __launch_bounds__(256) cand_filter(
	const float* scores, i64 P, i64 base, int largest, const u32* bits, const u64* thr, u32* cnt, u64* buf, i64 C)
{
	i64 q = blockIdx.y;
	const float* s = scores + q * P;
	u64 t = thr[q];
	u64* o = buf + q * C;
	bool lg = largest != 0;
	bool vec = (P & 3) == 0;
	int lane = threadIdx.x & 31;
	i64 stride = 4 * (i64)gridDim.x * blockDim.x;
	for (i64 i0 = 4 * ((i64)blockIdx.x * blockDim.x + threadIdx.x); i0 - 4 * lane < P; i0 += stride) {
		float v[4];
		if (vec && i0 < P) {
			float4 f = *(const float4*)(s + i0);
			v[0] = f.x; v[1] = f.y; v[2] = f.z; v[3] = f.w;
		} else {
			for (int j = 0; j < 4; j++) v[j] = i0 + j < P ? s[i0 + j] : 0.0f;
		}
		for (int j = 0; j < 4; j++) {
			i64 i = i0 + j;
			u64 key = EMPTY_KEY;
			if (i < P) {
				i64 r = base + i;
				float x = v[j];
				if (bits && ((bits[r >> 5] >> (r & 31)) & 1u) == 0u) x = masked_score(lg);
				key = make_key(x, lg, (u32)r);
			}
			bool take = key < t;
			unsigned bal = __ballot_sync(0xffffffffu, take);
			if (bal == 0) continue;
			u32 b = 0;
			if (lane == 0) b = atomicAdd(cnt + q, (u32)__popc(bal));
			b = __shfl_sync(0xffffffffu, b, 0);
			if (take) o[b + __popc(bal & ((1u << lane) - 1u))] = key;
		}
	}
}

// cand_compact: one block a query; a buffer holding more than at keys
// keeps its best k (at >= k) in buf[0:k), unordered, EMPTY_KEY after
// them, and the worst of them becomes the threshold. With out (not 0;
// at < k), every buffer's best k go to out [G][k] instead, the buffers
// left as they are. The launch gives 8*k bytes of dynamic shared memory.
extern "C" __global__ void __launch_bounds__(512) cand_compact(u64* buf, i64 C, u32* cnt, u64* thr, int k, int at, u64* out)
{
	SIL_EXTERN_SHARED __align__(16) unsigned char smem[];
	u64* keep = (u64*)smem;
	__shared__ u64 worst;
	i64 q = blockIdx.x;
	int n = (int)cnt[q];
	if (n <= at) return;
	u64* b = buf + q * C;
	auto key_at = [&](i64 i) -> u64 { return b[i]; };
	select_state st;
	select_keys(key_at, n, k, st);
	if (threadIdx.x == 0) worst = 0;
	collect_keys(key_at, n, k, st, keep);
	u64 w = 0;
	for (int i = threadIdx.x; i < k; i += blockDim.x) w = keep[i] > w ? keep[i] : w;
	atomicMax(&worst, w);
	__syncthreads();
	if (out) {
		for (int i = threadIdx.x; i < k; i += blockDim.x) out[q * k + i] = keep[i];
		return;
	}
	for (int i = threadIdx.x; i < n; i += blockDim.x) b[i] = i < k ? keep[i] : EMPTY_KEY;
	if (threadIdx.x == 0) {
		cnt[q] = (u32)k;
		thr[q] = worst;
	}
}

// seed_final ends a seeded scan (cuda/seed.go), one block a query: its
// list buf [q][L] holds the cnt[q] keys at or past its seeded threshold
// (counted past L, only L written). When there are at least k of them and
// all were written, their best k go to out [G][k], unordered, and ok[q]
// is 1: no other row can be among the best k. Otherwise ok[q] is 0 and
// out's row EMPTY_KEY (the query is searched again without a seed).
extern "C" __global__ void __launch_bounds__(512) seed_final(const u64* buf, i64 L, const u32* cnt, int k, u64* out, int* ok)
{
	i64 q = blockIdx.x;
	i64 n = cnt[q];
	u64* o = out + q * k;
	if (n < k || n > L) {
		for (int i = threadIdx.x; i < k; i += blockDim.x) o[i] = EMPTY_KEY;
		if (threadIdx.x == 0) ok[q] = 0;
		return;
	}
	const u64* b = buf + q * L;
	auto key_at = [&](i64 i) -> u64 { return b[i]; };
	select_state st;
	select_keys(key_at, n, k, st);
	collect_keys(key_at, n, k, st, o);
	if (threadIdx.x == 0) ok[q] = 1;
}
