// gather.cu: row gathers and slices, as contiguous copies, one warp a row.
// Rows move in 16-, 4- or 1-byte words, whichever divides the row and its
// offsets.
//
// Defines: W, the word type (uint4, u32 or unsigned char); IDX, the index
// type (int or i64).

#ifndef SIL_W
#define SIL_W u32
#endif
#define W SIL_W
#ifndef SIL_IDX
#define SIL_IDX i64
#endif
#define IDX SIL_IDX

// gather_rows: out[r] = x[idx[r]] for r < nidx; rowWords words a row, one
// warp a row. An index outside [0, n) writes nothing for its row and
// records the first such position in *bad (atomicMin), for the host to
// report.
extern "C" __global__ void gather_rows(const W* x, const IDX* idx, W* out, i64 nidx, i64 n,
                                       i64 rowWords, unsigned long long* bad)
{
	int lane = threadIdx.x & 31;
	i64 w = (blockIdx.x * (i64)blockDim.x + threadIdx.x) >> 5;
	i64 nw = ((i64)gridDim.x * blockDim.x) >> 5;
	for (i64 r = w; r < nidx; r += nw) {
		i64 v = (i64)idx[r];
		if (v < 0 || v >= n) {
			if (lane == 0) atomicMin(bad, (unsigned long long)r);
			continue;
		}
		const W* src = x + v * rowWords;
		W* dst = out + r * rowWords;
		for (i64 c = lane; c < rowWords; c += 32) dst[c] = src[c];
	}
}

// slice_rows: out[r][c] = x[r0 + r][c0 + c], rows x cols words, x rows of
// stride words; one warp a row.
extern "C" __global__ void slice_rows(const W* x, W* out, i64 rows, i64 cols, i64 stride, i64 r0, i64 c0)
{
	int lane = threadIdx.x & 31;
	i64 w = (blockIdx.x * (i64)blockDim.x + threadIdx.x) >> 5;
	i64 nw = ((i64)gridDim.x * blockDim.x) >> 5;
	for (i64 r = w; r < rows; r += nw) {
		const W* src = x + (r0 + r) * stride + c0;
		W* dst = out + r * cols;
		for (i64 c = lane; c < cols; c += 32) dst[c] = src[c];
	}
}
