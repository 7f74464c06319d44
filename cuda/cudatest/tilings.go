// Package cudatest holds what the cuda package's tests and the benchmark
// tool (cudabench) share: the tilings of the tensor-core scan besides its
// defaults, which the compile test builds, the GPU tests search with and
// the benchmark times. The backend itself never reads them.
//
// A tiling is written as the Tiling of cuda.Config (SILICA_CUDA_V4), in
// full: bm, bn, bkb, stages, pf, wg, swz, mb.
package cudatest

// V4Tilings are the mma.sync tilings (version 4) besides the defaults:
// larger stages, L2 prefetch, smaller tiles, deeper pipelines. (bm=128
// with pf=1, slower than without in run 5, left the list in run 9: its
// registers no longer fit without spills.)
var V4Tilings = []string{
	"bm=128,bn=256,bkb=64,stages=4,pf=0,wg=0,swz=0,mb=1",
	"bm=128,bn=128,bkb=64,stages=4,pf=0,wg=0,swz=0,mb=1",
	"bm=64,bn=256,bkb=64,stages=6,pf=0,wg=0,swz=0,mb=1",
	"bm=64,bn=256,bkb=128,stages=4,pf=1,wg=0,swz=0,mb=1",
}

// V5Tilings are the wgmma tilings (version 5) besides the defaults; the
// last is the first v5 tiling: core matrices, no swizzle.
var V5Tilings = []string{
	"bm=64,bn=128,bkb=128,stages=4,pf=0,wg=1,swz=1,mb=2",
	"bm=64,bn=128,bkb=128,stages=4,pf=0,wg=1,swz=1,mb=1",
	"bm=128,bn=128,bkb=128,stages=5,pf=0,wg=1,swz=1,mb=1",
	"bm=128,bn=128,bkb=128,stages=6,pf=0,wg=1,swz=1,mb=1",
	"bm=128,bn=256,bkb=128,stages=4,pf=0,wg=1,swz=0,mb=1",
}
