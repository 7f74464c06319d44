#include "textflag.h"

// The NEON micro-kernel of the blocked gemm (gemm.go): an 8 x 8 block of C
// in sixteen accumulators (V0..V15, two per row). Each depth step loads
// one 8-wide row of the B sliver (V16, V17), then each of the eight A
// values broadcast (V18, V19 in turn) for two FMLAs.

#define ROW(lo, hi, r) \
	VLD1R.P 4(R0), [r.S4]; \
	VFMLA   V16.S4, r.S4, lo.S4; \
	VFMLA   V17.S4, r.S4, hi.S4

// ADDROW adds the C row at R6 into accumulators lo, hi (FMLA by ones:
// one rounding, as FADD) and moves R6 on.
#define ADDROW(lo, hi) \
	VLD1  (R6), [V20.S4, V21.S4]; \
	VFMLA V20.S4, V30.S4, lo.S4; \
	VFMLA V21.S4, V30.S4, hi.S4; \
	ADD   R4, R6

// PUTROW stores accumulators lo, hi to the C row at R2 and moves R2 on.
#define PUTROW(lo, hi) \
	VST1 [lo.S4, hi.S4], (R2); \
	ADD  R4, R2

// func gemm8x8(kc int, a, b, c []float32, ldc int, acc bool)
// Requires len(a) >= 8*kc, len(b) >= 8*kc, len(c) >= 7*ldc+8.
TEXT ·gemm8x8(SB), NOSPLIT, $0-89
	MOVD kc+0(FP), R3
	MOVD a_base+8(FP), R0
	MOVD b_base+32(FP), R1
	MOVD c_base+56(FP), R2
	MOVD ldc+80(FP), R4
	LSL  $2, R4
	VEOR V0.B16, V0.B16, V0.B16
	VEOR V1.B16, V1.B16, V1.B16
	VEOR V2.B16, V2.B16, V2.B16
	VEOR V3.B16, V3.B16, V3.B16
	VEOR V4.B16, V4.B16, V4.B16
	VEOR V5.B16, V5.B16, V5.B16
	VEOR V6.B16, V6.B16, V6.B16
	VEOR V7.B16, V7.B16, V7.B16
	VEOR V8.B16, V8.B16, V8.B16
	VEOR V9.B16, V9.B16, V9.B16
	VEOR V10.B16, V10.B16, V10.B16
	VEOR V11.B16, V11.B16, V11.B16
	VEOR V12.B16, V12.B16, V12.B16
	VEOR V13.B16, V13.B16, V13.B16
	VEOR V14.B16, V14.B16, V14.B16
	VEOR V15.B16, V15.B16, V15.B16
	CBZ  R3, store

loop:
	VLD1.P 32(R1), [V16.S4, V17.S4]
	ROW(V0, V1, V18)
	ROW(V2, V3, V19)
	ROW(V4, V5, V18)
	ROW(V6, V7, V19)
	ROW(V8, V9, V18)
	ROW(V10, V11, V19)
	ROW(V12, V13, V18)
	ROW(V14, V15, V19)
	SUB    $1, R3
	CBNZ   R3, loop

store:
	MOVBU acc+88(FP), R5
	CBZ   R5, put
	FMOVS $1.0, F30
	VDUP  V30.S[0], V30.S4
	MOVD  R2, R6
	ADDROW(V0, V1)
	ADDROW(V2, V3)
	ADDROW(V4, V5)
	ADDROW(V6, V7)
	ADDROW(V8, V9)
	ADDROW(V10, V11)
	ADDROW(V12, V13)
	ADDROW(V14, V15)

put:
	PUTROW(V0, V1)
	PUTROW(V2, V3)
	PUTROW(V4, V5)
	PUTROW(V6, V7)
	PUTROW(V8, V9)
	PUTROW(V10, V11)
	PUTROW(V12, V13)
	PUTROW(V14, V15)
	RET
