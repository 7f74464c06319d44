#include "textflag.h"

// The AVX-512 micro-kernel of the blocked gemm (gemm.go): a 12 x 32 block
// of C in twenty-four ZMM accumulators (Z0..Z23, two per row) over the
// whole panel depth. Each depth step loads one 32-wide row of the B
// sliver (Z24, Z25), broadcasts the twelve A values of the step into
// Z26..Z31 (six registers, each used for two rows) and issues twenty-four
// FMAs: twice the FMAs per B load of a 6 x 32 block, with the register
// file full.
//
// Two kinds of prefetch keep the loop fed when the operands are not in
// L1: the block of C is fetched as the loop starts, so that the final
// adds and stores find it; and every step fetches the row of the next B
// sliver (kc*128 bytes on) that lies at its own offset, so that the next
// sliver comes from L3 while this one is multiplied (macroKernel
// multiplies a B sliver by every A sliver of the block in turn, so the
// first call on a sliver would otherwise wait for it).

// BCAST12 broadcasts A value r of depth step i into register z.
#define BCAST12(i, r, z) VBROADCASTSS (48*(i)+4*(r))(AX), z

// FMA12 multiplies broadcast z by the B row into row accumulators lo, hi.
#define FMA12(z, lo, hi) \
	VFMADD231PS Z24, z, lo; \
	VFMADD231PS Z25, z, hi

// ROWS6 multiplies the B row by A values r..r+5 of depth step i into the
// accumulators of six rows (a0, a1 the first row's, and so on),
// broadcasting each value a step before its FMAs.
#define ROWS6(i, r, a0, a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11) \
	BCAST12(i, r, Z26); BCAST12(i, r+1, Z27); \
	FMA12(Z26, a0, a1); BCAST12(i, r+2, Z28); \
	FMA12(Z27, a2, a3); BCAST12(i, r+3, Z29); \
	FMA12(Z28, a4, a5); BCAST12(i, r+4, Z30); \
	FMA12(Z29, a6, a7); BCAST12(i, r+5, Z31); \
	FMA12(Z30, a8, a9); FMA12(Z31, a10, a11)

// STEP12 does depth step i (A at AX + 48*i, B at BX + 128*i) and
// prefetches the next sliver's row i (R11 = the sliver's bytes).
#define STEP12(i) \
	VMOVUPS    (128*i)(BX), Z24; \
	VMOVUPS    (128*i+64)(BX), Z25; \
	PREFETCHT0 (128*i)(BX)(R11*1); \
	PREFETCHT0 (128*i+64)(BX)(R11*1); \
	ROWS6(i, 0, Z0, Z1, Z2, Z3, Z4, Z5, Z6, Z7, Z8, Z9, Z10, Z11); \
	ROWS6(i, 6, Z12, Z13, Z14, Z15, Z16, Z17, Z18, Z19, Z20, Z21, Z22, Z23)

// ROW12 adds the C row at DX into accumulators lo, hi when R9 is set,
// stores them there and moves DX on a row.
#define ROW12(lo, hi) \
	TESTL   R9, R9; \
	JZ      3(PC); \
	VADDPS  (DX), lo, lo; \
	VADDPS  64(DX), hi, hi; \
	VMOVUPS lo, (DX); \
	VMOVUPS hi, 64(DX); \
	ADDQ    R8, DX

// func gemm12x32(kc int, a, b, c []float32, ldc int, acc bool)
// Requires len(a) >= 12*kc, len(b) >= 32*kc, len(c) >= 11*ldc+32. The
// prefetches may name addresses past b (prefetches do not fault).
TEXT ·gemm12x32(SB), NOSPLIT, $0-89
	MOVQ   kc+0(FP), CX
	MOVQ   a_base+8(FP), AX
	MOVQ   b_base+32(FP), BX
	MOVQ   c_base+56(FP), DX
	MOVQ   ldc+80(FP), R8
	SHLQ   $2, R8
	MOVQ   CX, R11
	SHLQ   $7, R11
	MOVQ   DX, R10
	MOVQ   $12, R12

prefc:
	PREFETCHT0 (R10)
	PREFETCHT0 64(R10)
	ADDQ       R8, R10
	DECQ       R12
	JNZ        prefc
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
	VPXORD Z12, Z12, Z12
	VPXORD Z13, Z13, Z13
	VPXORD Z14, Z14, Z14
	VPXORD Z15, Z15, Z15
	VPXORD Z16, Z16, Z16
	VPXORD Z17, Z17, Z17
	VPXORD Z18, Z18, Z18
	VPXORD Z19, Z19, Z19
	VPXORD Z20, Z20, Z20
	VPXORD Z21, Z21, Z21
	VPXORD Z22, Z22, Z22
	VPXORD Z23, Z23, Z23
	CMPQ   CX, $4
	JLT    one

four:
	STEP12(0)
	STEP12(1)
	STEP12(2)
	STEP12(3)
	ADDQ $192, AX
	ADDQ $512, BX
	SUBQ $4, CX
	CMPQ CX, $4
	JGE  four

one:
	TESTQ CX, CX
	JZ    store
	STEP12(0)
	ADDQ  $48, AX
	ADDQ  $128, BX
	DECQ  CX
	JMP   one

store:
	MOVBLZX acc+88(FP), R9
	ROW12(Z0, Z1)
	ROW12(Z2, Z3)
	ROW12(Z4, Z5)
	ROW12(Z6, Z7)
	ROW12(Z8, Z9)
	ROW12(Z10, Z11)
	ROW12(Z12, Z13)
	ROW12(Z14, Z15)
	ROW12(Z16, Z17)
	ROW12(Z18, Z19)
	ROW12(Z20, Z21)
	ROW12(Z22, Z23)
	VZEROUPPER
	RET

// PACKQ transposes four rows of A (from base, R8 bytes apart; R9 =
// 3*R8), eight columns of them, into slot g of the eight 12-value
// columns at DI: unpack and shuffle build each column's four values in
// a 128-bit lane, column j in the low lane and j+4 in the high one.
#define PACKQ(base, g) \
	VMOVUPS      (base), Y0; \
	VMOVUPS      (base)(R8*1), Y1; \
	VMOVUPS      (base)(R8*2), Y2; \
	VMOVUPS      (base)(R9*1), Y3; \
	VUNPCKLPS    Y1, Y0, Y4; \
	VUNPCKHPS    Y1, Y0, Y5; \
	VUNPCKLPS    Y3, Y2, Y6; \
	VUNPCKHPS    Y3, Y2, Y7; \
	VSHUFPS      $0x44, Y6, Y4, Y0; \
	VSHUFPS      $0xee, Y6, Y4, Y1; \
	VSHUFPS      $0x44, Y7, Y5, Y2; \
	VSHUFPS      $0xee, Y7, Y5, Y3; \
	VMOVUPS      X0, (16*g)(DI); \
	VMOVUPS      X1, (48+16*g)(DI); \
	VMOVUPS      X2, (96+16*g)(DI); \
	VMOVUPS      X3, (144+16*g)(DI); \
	VEXTRACTF128 $1, Y0, (192+16*g)(DI); \
	VEXTRACTF128 $1, Y1, (240+16*g)(DI); \
	VEXTRACTF128 $1, Y2, (288+16*g)(DI); \
	VEXTRACTF128 $1, Y3, (336+16*g)(DI)

// func packA12AVX2(dst, a []float32, lda, kc int)
// Packs columns 0..kc&^7 of twelve rows of a (row stride lda) into a
// 12-row sliver: dst[p*12 + r] = a[r*lda + p]. AVX2 only. Requires
// len(a) >= 11*lda + kc&^7, len(dst) >= 12*(kc&^7).
TEXT ·packA12AVX2(SB), NOSPLIT, $0-64
	MOVQ dst_base+0(FP), DI
	MOVQ a_base+24(FP), SI
	MOVQ lda+48(FP), R8
	SHLQ $2, R8
	LEAQ (R8)(R8*2), R9
	LEAQ (SI)(R8*4), R10
	LEAQ (R10)(R8*4), R11
	MOVQ kc+56(FP), CX
	SHRQ $3, CX
	JZ   packdone

pack8:
	PACKQ(SI, 0)
	PACKQ(R10, 1)
	PACKQ(R11, 2)
	ADDQ $32, SI
	ADDQ $32, R10
	ADDQ $32, R11
	ADDQ $384, DI
	DECQ CX
	JNZ  pack8

packdone:
	VZEROUPPER
	RET
