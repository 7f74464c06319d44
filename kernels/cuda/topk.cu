// topk.cu: selection of the k best entries of each row, best first.
//
// One block per row. A radix select over 64-bit rank keys (prelude.cuh)
// finds the k-th key in at most eight passes of 8-bit histograms, then the
// k selected keys are sorted in shared memory (or in scratch for large k)
// and decoded. Keys are unique (the low half is the index), so the result
// is exactly the CPU's: largest or smallest first, ties to the smaller
// index, NaN last. Any k works, up to the row length.
//
// Defines: T, the element type of score rows (float, f16, bf16).

#ifndef SIL_T
#define SIL_T float
#endif
#define T SIL_T

#define SELECT_SMEM_KEYS 2048

struct select_state {
	u64 prefix;
	int krem;
	int shift;
	int done;
};

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
		if (threadIdx.x == 0) {
			int c = 0, b = 0;
			for (; b < 255; b++) {
				if (c + (int)hist[b] >= st.krem) break;
				c += hist[b];
			}
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

// collect_sort writes the k selected keys of a row into buf[0:kp), pads
// the rest with EMPTY_KEY and sorts them.
template <typename F>
__device__ void collect_sort(F key_at, i64 L, int k, int kp, const select_state& st, u64* buf) {
	__shared__ int nless, neq;
	if (threadIdx.x == 0) { nless = 0; neq = 0; }
	for (int i = k + threadIdx.x; i < kp; i += blockDim.x) buf[i] = EMPTY_KEY;
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
	block_sort(buf, kp);
}

// topk_select: rows of length L, either scores x (keys == 0) or rank keys
// (keys != 0, in keys_in); out: vals/idx [rows][k] (when vals != 0) or keys
// out_keys [rows][k]. scratch holds rows*kp keys when kp > SELECT_SMEM_KEYS.
extern "C" __global__ void __launch_bounds__(512) topk_select(
	const T* x, const u64* keys_in, i64 rows, i64 L, int k, int largest,
	float* vals, i64* idx, u64* out_keys, u64* scratch)
{
	__shared__ u64 sbuf[SELECT_SMEM_KEYS];
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
		u64* buf = kp <= SELECT_SMEM_KEYS ? sbuf : scratch + row * (i64)kp;
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
