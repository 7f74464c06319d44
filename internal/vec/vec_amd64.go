package vec

// RowStatsAVX2 reads v[:n], n a multiple of 8, and returns the largest
// magnitude bits (|x| as uint32; 0x7f800000 or more when a value is not
// finite), writing the sums of squares of lanes i, i+8, i+16, ...
// (float32, fused multiply-adds) to sums. It needs AVX2 and FMA.
//
//go:noescape
func RowStatsAVX2(v *float32, n int, sums *[8]float32) uint32

// ScaleAVX2 writes d[i] = a[i] * s for i < len(d); len(a) >= len(d). It
// needs AVX2.
//
//go:noescape
func ScaleAVX2(d, a []float32, s float32)
