// matmul.cu: the general float32 matrix product, exact in float32 (no
// TF32), for MatMul, NormMatMul and L2Distance.
//
// A 64x64 tile of C a block of 256 threads, 4x4 outputs a thread, the
// shared dimension in steps of 16 through shared memory. Operands are
// addressed through strides, so any transposition is one kernel.
// Products of few rows against many (the search shapes) go to the row
// kernels of scan.cu instead.
//
// Defines: T, A's element type; TB, B's (T, or i8 for quantized rows);
// L2 (0 or 1): sum (a-b)^2 instead of a*b.

#ifndef SIL_T
#define SIL_T float
#endif
#define T SIL_T
#ifndef SIL_TB
#define SIL_TB T
#endif
#define TB SIL_TB
#ifndef SIL_L2
#define SIL_L2 0
#endif
#define L2 SIL_L2

#define TM 64
#define TK 16

// matmul_tiled: c[i][j] = sa[i] * sb[j] * sum_k A(i,k) B(k,j), where
// A(i,k) = a[i*sam + k*sak] and B(k,j) = b[k*sbk + j*sbn]; sa, sb may be
// null (1). With L2, c[i][j] = sum_k (A(i,k) - B(k,j))^2 * 1.
extern "C" __global__ void __launch_bounds__(256) matmul_tiled(
	const T* a, const TB* b, float* c, i64 m, i64 n, i64 K,
	i64 sam, i64 sak, i64 sbk, i64 sbn, const float* sa, const float* sb)
{
	__shared__ float As[TK][TM + 4];
	__shared__ float Bs[TK][TM + 4];
	int tid = threadIdx.x;
	int tx = tid & 15, ty = tid >> 4;
	i64 i0 = (i64)blockIdx.y * TM, j0 = (i64)blockIdx.x * TM;
	float acc[4][4];
#pragma unroll
	for (int r = 0; r < 4; r++)
#pragma unroll
		for (int s = 0; s < 4; s++) acc[r][s] = 0.0f;
	for (i64 k0 = 0; k0 < K; k0 += TK) {
#pragma unroll
		for (int r = 0; r < 4; r++) {
			int e = tid + 256 * r;
			int i, kk;
			if (sak == 1) { i = e / TK; kk = e % TK; } else { kk = e / TM; i = e % TM; }
			float v = 0.0f;
			if (i0 + i < m && k0 + kk < K) v = to_f32(a[(i0 + i) * sam + (k0 + kk) * sak]);
			As[kk][i] = v;
			int j;
			if (sbk == 1) { j = e / TK; kk = e % TK; } else { kk = e / TM; j = e % TM; }
			v = 0.0f;
			if (j0 + j < n && k0 + kk < K) v = to_f32(b[(k0 + kk) * sbk + (j0 + j) * sbn]);
			Bs[kk][j] = v;
		}
		__syncthreads();
#pragma unroll
		for (int kk = 0; kk < TK; kk++) {
			float av[4], bv[4];
#pragma unroll
			for (int r = 0; r < 4; r++) av[r] = As[kk][ty * 4 + r];
#pragma unroll
			for (int s = 0; s < 4; s++) bv[s] = Bs[kk][tx * 4 + s];
#pragma unroll
			for (int r = 0; r < 4; r++)
#pragma unroll
				for (int s = 0; s < 4; s++) {
					if (L2) {
						float dd = av[r] - bv[s];
						acc[r][s] = fmaf(dd, dd, acc[r][s]);
					} else {
						acc[r][s] = fmaf(av[r], bv[s], acc[r][s]);
					}
				}
		}
		__syncthreads();
	}
#pragma unroll
	for (int r = 0; r < 4; r++) {
		i64 i = i0 + ty * 4 + r;
		if (i >= m) continue;
		float fa = (!L2 && sa) ? sa[i] : 1.0f;
#pragma unroll
		for (int s = 0; s < 4; s++) {
			i64 j = j0 + tx * 4 + s;
			if (j >= n) continue;
			float fb = (!L2 && sb) ? sb[j] : 1.0f;
			c[i * n + j] = acc[r][s] * fa * fb;
		}
	}
}
