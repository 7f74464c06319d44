#include "textflag.h"

// The AVX2/FMA micro-kernel of the blocked gemm (gemm.go): a 6 x 16 block
// of C held in twelve YMM accumulators (Y0..Y11, two per row) over the
// whole panel depth. Each step loads one 16-wide row of the B sliver
// (Y12, Y13), broadcasts the six A values of the step in turn (Y14, Y15)
// and issues twelve FMAs, so the loop is bound by the FMA units.

// STEP does depth step i: A at AX + 24*i, B at BX + 64*i.
#define STEP(i) \
	VMOVUPS      (64*i)(BX), Y12; \
	VMOVUPS      (64*i+32)(BX), Y13; \
	VBROADCASTSS (24*i)(AX), Y14; \
	VFMADD231PS  Y12, Y14, Y0; \
	VFMADD231PS  Y13, Y14, Y1; \
	VBROADCASTSS (24*i+4)(AX), Y15; \
	VFMADD231PS  Y12, Y15, Y2; \
	VFMADD231PS  Y13, Y15, Y3; \
	VBROADCASTSS (24*i+8)(AX), Y14; \
	VFMADD231PS  Y12, Y14, Y4; \
	VFMADD231PS  Y13, Y14, Y5; \
	VBROADCASTSS (24*i+12)(AX), Y15; \
	VFMADD231PS  Y12, Y15, Y6; \
	VFMADD231PS  Y13, Y15, Y7; \
	VBROADCASTSS (24*i+16)(AX), Y14; \
	VFMADD231PS  Y12, Y14, Y8; \
	VFMADD231PS  Y13, Y14, Y9; \
	VBROADCASTSS (24*i+20)(AX), Y15; \
	VFMADD231PS  Y12, Y15, Y10; \
	VFMADD231PS  Y13, Y15, Y11

// ADDROW adds the C row at DX into accumulators lo, hi.
#define ADDROW(lo, hi) \
	VADDPS (DX), lo, lo; \
	VADDPS 32(DX), hi, hi

// PUTROW stores accumulators lo, hi to the C row at DX and moves DX on.
#define PUTROW(lo, hi) \
	VMOVUPS lo, (DX); \
	VMOVUPS hi, 32(DX); \
	ADDQ    R8, DX

// func gemm6x16(kc int, a, b, c []float32, ldc int, acc bool)
// Requires len(a) >= 6*kc, len(b) >= 16*kc, len(c) >= 5*ldc+16.
TEXT ·gemm6x16(SB), NOSPLIT, $0-89
	MOVQ   kc+0(FP), CX
	MOVQ   a_base+8(FP), AX
	MOVQ   b_base+32(FP), BX
	MOVQ   c_base+56(FP), DX
	MOVQ   ldc+80(FP), R8
	SHLQ   $2, R8
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3
	VXORPS Y4, Y4, Y4
	VXORPS Y5, Y5, Y5
	VXORPS Y6, Y6, Y6
	VXORPS Y7, Y7, Y7
	VXORPS Y8, Y8, Y8
	VXORPS Y9, Y9, Y9
	VXORPS Y10, Y10, Y10
	VXORPS Y11, Y11, Y11
	CMPQ   CX, $4
	JLT    one

four:
	STEP(0)
	STEP(1)
	STEP(2)
	STEP(3)
	ADDQ $96, AX
	ADDQ $256, BX
	SUBQ $4, CX
	CMPQ CX, $4
	JGE  four

one:
	TESTQ CX, CX
	JZ    store
	STEP(0)
	ADDQ  $24, AX
	ADDQ  $64, BX
	DECQ  CX
	JMP   one

store:
	MOVBLZX acc+88(FP), R9
	TESTL   R9, R9
	JZ      put
	MOVQ    DX, R10
	ADDROW(Y0, Y1)
	ADDQ    R8, DX
	ADDROW(Y2, Y3)
	ADDQ    R8, DX
	ADDROW(Y4, Y5)
	ADDQ    R8, DX
	ADDROW(Y6, Y7)
	ADDQ    R8, DX
	ADDROW(Y8, Y9)
	ADDQ    R8, DX
	ADDROW(Y10, Y11)
	MOVQ    R10, DX

put:
	PUTROW(Y0, Y1)
	PUTROW(Y2, Y3)
	PUTROW(Y4, Y5)
	PUTROW(Y6, Y7)
	PUTROW(Y8, Y9)
	PUTROW(Y10, Y11)
	VZEROUPPER
	RET
