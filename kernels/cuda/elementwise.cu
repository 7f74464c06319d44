// elementwise.cu: element-wise programs (engine.Program), one kernel per
// program. The backend appends the kernel itself, generated from
// Program.Source(): it loads each input through one of the index forms
// below, runs the program's statements in float32 and stores the last
// register rounded to the output type.
//
// Input forms: contiguous with the output (element i), a single element
// broadcast everywhere (element 0), or general NumPy broadcasting (the
// output index split over four dimensions, times the input's strides).

// ew_split splits the linear output index i over the dimensions d1..d3
// (d0 implied) into i0..i3.
__device__ __forceinline__ void ew_split(i64 i, i64 d1, i64 d2, i64 d3, i64& i0, i64& i1, i64& i2, i64& i3) {
	i3 = i % d3;
	i64 t = i / d3;
	i2 = t % d2;
	t /= d2;
	i1 = t % d1;
	i0 = t / d1;
}

__device__ __forceinline__ i64 ew_offset(i64 i0, i64 i1, i64 i2, i64 i3, i64 s0, i64 s1, i64 s2, i64 s3) {
	return i0 * s0 + i1 * s1 + i2 * s2 + i3 * s3;
}
