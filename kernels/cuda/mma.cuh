// mma.cuh: the warp-level tensor-core primitives of the mma.sync kernels
// (scan_mma_v4.cu, matmul_mma.cu, matmul_skinny.cu): ldmatrix and
// mma.sync m16n8k16 (f16, bf16) or m16n8k8 (TF32, SIL_IS_TF32), f32
// accumulators. The element type is f16 unless SIL_IS_BF16 or
// SIL_IS_TF32 says otherwise.

#if defined(SIL_IS_BF16)
#define MMA_TYPE "bf16"
#else
#define MMA_TYPE "f16"
#endif

#ifndef SIL_EMU
// PTX primitives. The emulator of the tests supplies the same functions.
//
// ldsm_x4 loads four 8x8 matrices of 16-bit elements: lane l gives the
// address of row l%8 of matrix l/8 and receives word l%4 of row l/4 of
// each matrix.
__device__ __forceinline__ void ldsm_x4(u32 (&r)[4], const void* p) {
	asm volatile("ldmatrix.sync.aligned.m8n8.x4.shared.b16 {%0,%1,%2,%3}, [%4];"
		: "=r"(r[0]), "=r"(r[1]), "=r"(r[2]), "=r"(r[3]) : "r"(smem_u32(p)));
}
__device__ __forceinline__ u32 to_tf32(u32 f) {
	u32 r;
	asm("cvt.rna.tf32.f32 %0, %1;" : "=r"(r) : "f"(__uint_as_float(f)));
	return r;
}
// mma_step: c += a * b for one m16n8 block and 32 bytes of the shared
// dimension (k16 of f16/bf16, k8 of TF32).
__device__ __forceinline__ void mma_step(float (&c)[4], const u32 (&a)[4], u32 b0, u32 b1) {
#if defined(SIL_IS_TF32)
	asm("mma.sync.aligned.m16n8k8.row.col.f32.tf32.tf32.f32 {%0,%1,%2,%3}, {%4,%5,%6,%7}, {%8,%9}, {%0,%1,%2,%3};"
		: "+f"(c[0]), "+f"(c[1]), "+f"(c[2]), "+f"(c[3])
		: "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b0), "r"(b1));
#else
	asm("mma.sync.aligned.m16n8k16.row.col.f32." MMA_TYPE "." MMA_TYPE ".f32 {%0,%1,%2,%3}, {%4,%5,%6,%7}, {%8,%9}, {%0,%1,%2,%3};"
		: "+f"(c[0]), "+f"(c[1]), "+f"(c[2]), "+f"(c[3])
		: "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b0), "r"(b1));
#endif
}
#endif
