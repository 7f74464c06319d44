// scan_rescore.cu: the end of a TF32 search on tensor cores
// (cuda/scan.go's mmaScan): rescore scores each query's TF32 candidates
// again exactly in float32, and verify proves with the bound on the TF32
// error that no other row can enter a query's best k, or flags the query
// to be searched again exactly. Float32 only; no defines.

// rescore: the exact re-scoring of TF32 candidates. approx [m][kc]
// holds each query's best kc keys by TF32 score, best first; exact [m][kc]
// receives keys of the same rows scored exactly in float32 (one warp a
// candidate), a row whose bit in bits is clear (bits not 0: a masked
// search) scored the worst, as the scan scored it. q, x float32.
//
// A candidate past the k-th whose TF32 score is more than 2E worse than
// the k-th's (E = eps * qnorm * qscale * xmax, verify's bound on a TF32
// score's error; 2.5E here, for the rounding of the difference) is not
// read: its exact score is more than E worse than the k-th TF32 score,
// and each of the first k candidates scores exactly within E of its TF32
// score, at least as good as the k-th's: k rows rank ahead of it. It
// gets EMPTY_KEY, which ranks after them.
extern "C" __global__ void rescore(const float* q, const float* x, i64 m, i64 d, int k, int kc,
                                   const float* qnorm, const float* qscale, const u32* xmax, int normB,
                                   float eps, int largest, const u64* approx, u64* exact, const u32* bits)
{
	int lane = threadIdx.x & 31;
	i64 w = (blockIdx.x * (i64)blockDim.x + threadIdx.x) >> 5;
	i64 nw = ((i64)gridDim.x * blockDim.x) >> 5;
	bool lg = largest != 0;
	for (i64 c = w; c < m * kc; c += nw) {
		i64 qi = c / kc;
		u64 ak = approx[c];
		if (ak == EMPTY_KEY) {
			if (lane == 0) exact[c] = EMPTY_KEY;
			continue;
		}
		u64 kth = approx[qi * kc + k - 1];
		if (c - qi * kc >= k && kth != EMPTY_KEY) {
			float xm = normB ? 1.0f : __uint_as_float(*xmax);
			float e = 2.5f * eps * qnorm[qi] * (qscale ? qscale[qi] : 1.0f) * xm;
			float t = unrank32((u32)(kth >> 32), lg);
			float cut = lg ? t - e : t + e;
			float a = unrank32((u32)(ak >> 32), lg);
			if (fabsf(cut) < __uint_as_float(0x7f800000u) && (lg ? a < cut : a > cut)) { // cut finite
				if (lane == 0) exact[c] = EMPTY_KEY;
				continue;
			}
		}
		u32 r = (u32)(ak & 0xffffffffu);
		const float* qr = q + qi * d;
		const float* xr = x + (i64)r * d;
		float dot = 0.0f, ss = 0.0f;
		for (i64 j = lane; j < d; j += 32) {
			float xv = xr[j];
			dot = fmaf(qr[j], xv, dot);
			ss = fmaf(xv, xv, ss);
		}
		dot = warp_sum(dot);
		ss = warp_sum(ss);
		float s = dot * (qscale ? qscale[qi] : 1.0f);
		if (normB) s *= 1.0f / fmaxf(sqrtf(ss), 1e-12f);
		if (bits && ((bits[r >> 5] >> (r & 31)) & 1u) == 0u) s = masked_score(lg);
		if (lane == 0) exact[c] = make_key(s, lg, r);
	}
}

// verify: for each query, best [m][k] exact keys (best first) and approx
// [m][kc] TF32 keys. A row not among the candidates has a TF32 score no
// better than the last candidate's, so its exact score is within
// E = eps * qnorm[q] * qscale[q] * xmax of it; if even that cannot reach
// the k-th exact score, the result is exact (ok[q] = 1), else the query
// must be searched again exactly (ok[q] = 0). Writes vals/idx.
extern "C" __global__ void verify(const u64* best, const u64* approx, i64 m, int k, int kc,
                                  const float* qnorm, const float* qscale, const u32* xmax, int normB,
                                  float eps, int largest, float* vals, i64* idx, int* ok)
{
	bool lg = largest != 0;
	for (i64 t = blockIdx.x * (i64)blockDim.x + threadIdx.x; t < m * k; t += (i64)gridDim.x * blockDim.x) {
		u64 key = best[t];
		vals[t] = unrank32((u32)(key >> 32), lg);
		idx[t] = (i64)(key & 0xffffffffu);
		i64 qi = t / k;
		if (t - qi * k != k - 1) continue;
		u64 last = approx[qi * kc + kc - 1];
		int good;
		if (last == EMPTY_KEY) {
			good = 1; // every row of x was a candidate
		} else {
			float a = unrank32((u32)(last >> 32), lg);
			float sk = vals[t];
			float xm = normB ? 1.0f : __uint_as_float(*xmax);
			float e = eps * qnorm[qi] * (qscale ? qscale[qi] : 1.0f) * xm;
			good = lg ? (a + e < sk) : (a - e > sk);
		}
		ok[qi] = good;
	}
}
