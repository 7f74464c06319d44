#include "textflag.h"

// The AVX-512 micro-kernel of the blocked gemm (gemm.go): gemm_amd64.s's
// 6 x 16 block twice as wide, a 6 x 32 block of C in twelve ZMM
// accumulators (Z0..Z11, two per row). Each depth step loads one 32-wide
// row of the B sliver (Z12, Z13), broadcasts the six A values of the step
// in turn (Z14, Z15) and issues twelve FMAs.

// STEPZ does depth step i: A at AX + 24*i, B at BX + 128*i.
#define STEPZ(i) \
	VMOVUPS      (128*i)(BX), Z12; \
	VMOVUPS      (128*i+64)(BX), Z13; \
	VBROADCASTSS (24*i)(AX), Z14; \
	VFMADD231PS  Z12, Z14, Z0; \
	VFMADD231PS  Z13, Z14, Z1; \
	VBROADCASTSS (24*i+4)(AX), Z15; \
	VFMADD231PS  Z12, Z15, Z2; \
	VFMADD231PS  Z13, Z15, Z3; \
	VBROADCASTSS (24*i+8)(AX), Z14; \
	VFMADD231PS  Z12, Z14, Z4; \
	VFMADD231PS  Z13, Z14, Z5; \
	VBROADCASTSS (24*i+12)(AX), Z15; \
	VFMADD231PS  Z12, Z15, Z6; \
	VFMADD231PS  Z13, Z15, Z7; \
	VBROADCASTSS (24*i+16)(AX), Z14; \
	VFMADD231PS  Z12, Z14, Z8; \
	VFMADD231PS  Z13, Z14, Z9; \
	VBROADCASTSS (24*i+20)(AX), Z15; \
	VFMADD231PS  Z12, Z15, Z10; \
	VFMADD231PS  Z13, Z15, Z11

// ADDROWZ adds the C row at DX into accumulators lo, hi.
#define ADDROWZ(lo, hi) \
	VADDPS (DX), lo, lo; \
	VADDPS 64(DX), hi, hi

// PUTROWZ stores accumulators lo, hi to the C row at DX and moves DX on.
#define PUTROWZ(lo, hi) \
	VMOVUPS lo, (DX); \
	VMOVUPS hi, 64(DX); \
	ADDQ    R8, DX

// func gemm6x32(kc int, a, b, c []float32, ldc int, acc bool)
// Requires len(a) >= 6*kc, len(b) >= 32*kc, len(c) >= 5*ldc+32.
TEXT ·gemm6x32(SB), NOSPLIT, $0-89
	MOVQ   kc+0(FP), CX
	MOVQ   a_base+8(FP), AX
	MOVQ   b_base+32(FP), BX
	MOVQ   c_base+56(FP), DX
	MOVQ   ldc+80(FP), R8
	SHLQ   $2, R8
	VPXORD Z0, Z0, Z0
	VPXORD Z1, Z1, Z1
	VPXORD Z2, Z2, Z2
	VPXORD Z3, Z3, Z3
	VPXORD Z4, Z4, Z4
	VPXORD Z5, Z5, Z5
	VPXORD Z6, Z6, Z6
	VPXORD Z7, Z7, Z7
	VPXORD Z8, Z8, Z8
	VPXORD Z9, Z9, Z9
	VPXORD Z10, Z10, Z10
	VPXORD Z11, Z11, Z11
	CMPQ   CX, $4
	JLT    one

four:
	STEPZ(0)
	STEPZ(1)
	STEPZ(2)
	STEPZ(3)
	ADDQ $96, AX
	ADDQ $512, BX
	SUBQ $4, CX
	CMPQ CX, $4
	JGE  four

one:
	TESTQ CX, CX
	JZ    store
	STEPZ(0)
	ADDQ  $24, AX
	ADDQ  $128, BX
	DECQ  CX
	JMP   one

store:
	MOVBLZX acc+88(FP), R9
	TESTL   R9, R9
	JZ      put
	MOVQ    DX, R10
	ADDROWZ(Z0, Z1)
	ADDQ    R8, DX
	ADDROWZ(Z2, Z3)
	ADDQ    R8, DX
	ADDROWZ(Z4, Z5)
	ADDQ    R8, DX
	ADDROWZ(Z6, Z7)
	ADDQ    R8, DX
	ADDROWZ(Z8, Z9)
	ADDQ    R8, DX
	ADDROWZ(Z10, Z11)
	MOVQ    R10, DX

put:
	PUTROWZ(Z0, Z1)
	PUTROWZ(Z2, Z3)
	PUTROWZ(Z4, Z5)
	PUTROWZ(Z6, Z7)
	PUTROWZ(Z8, Z9)
	PUTROWZ(Z10, Z11)
	VZEROUPPER
	RET
