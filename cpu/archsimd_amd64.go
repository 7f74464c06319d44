//go:build goexperiment.simd

package cpu

import "simd/archsimd"

// dotArchSIMD is the float32 row kernel (dot product and sum of squares)
// written with Go 1.26's experimental simd/archsimd package instead of
// assembly: four 8-lane accumulators of each, like dotRowF32. It is built
// only with GOEXPERIMENT=simd and serves to compare the two approaches
// (BenchmarkArchSIMD); the default build and the kernels in use are the
// assembly ones.
func dotArchSIMD(q, x []float32) (dot, ss float32) {
	x = x[:len(q)]
	var d0, d1, d2, d3, s0, s1, s2, s3 archsimd.Float32x8
	i := 0
	for ; i+32 <= len(q); i += 32 {
		x0 := archsimd.LoadFloat32x8Slice(x[i:])
		x1 := archsimd.LoadFloat32x8Slice(x[i+8:])
		x2 := archsimd.LoadFloat32x8Slice(x[i+16:])
		x3 := archsimd.LoadFloat32x8Slice(x[i+24:])
		d0 = x0.MulAdd(archsimd.LoadFloat32x8Slice(q[i:]), d0)
		d1 = x1.MulAdd(archsimd.LoadFloat32x8Slice(q[i+8:]), d1)
		d2 = x2.MulAdd(archsimd.LoadFloat32x8Slice(q[i+16:]), d2)
		d3 = x3.MulAdd(archsimd.LoadFloat32x8Slice(q[i+24:]), d3)
		s0 = x0.MulAdd(x0, s0)
		s1 = x1.MulAdd(x1, s1)
		s2 = x2.MulAdd(x2, s2)
		s3 = x3.MulAdd(x3, s3)
	}
	for ; i+8 <= len(q); i += 8 {
		x0 := archsimd.LoadFloat32x8Slice(x[i:])
		d0 = x0.MulAdd(archsimd.LoadFloat32x8Slice(q[i:]), d0)
		s0 = x0.MulAdd(x0, s0)
	}
	var dl, sl [8]float32
	d0.Add(d1).Add(d2.Add(d3)).Store(&dl)
	s0.Add(s1).Add(s2.Add(s3)).Store(&sl)
	for j := range 8 {
		dot += dl[j]
		ss += sl[j]
	}
	for ; i < len(q); i++ {
		dot += q[i] * x[i]
		ss += x[i] * x[i]
	}
	return dot, ss
}
