#include "textflag.h"

// The tile kernel of the batch scan (dottile.go): the dot products of 4
// float32 queries with 3 float32 rows, each computed with the very
// operations of dotOnlyF32 (dotrow_amd64.h), so a score does not depend on
// the path or the batch it was computed in.
//
// dotOnlyF32 sums chunk c of 8 elements into accumulator c % 4 while four
// chunks remain, then the last chunks into accumulator 0, and adds
// ((acc0 + acc1) + (acc2 + acc3)) across lanes. Four accumulators for each
// of 12 pairs do not fit in 16 registers, so the kernel makes four passes,
// one per accumulator: each keeps that accumulator of the 12 pairs in
// Y0..Y11 (pair (i, j) in Y(3i+j)), loads the 3 row chunks into Y12..Y14
// and each query chunk in turn into Y15, and issues 12 FMAs for 7 loads;
// it leaves the accumulators in acc and the last step reduces them.

// STEP does one chunk: queries at SI (row stride R8, R9 = 3*R8), rows at
// DI.
#define STEP \
	VMOVUPS     (DI), Y12; \
	VMOVUPS     (DI)(R8*1), Y13; \
	VMOVUPS     (DI)(R8*2), Y14; \
	VMOVUPS     (SI), Y15; \
	VFMADD231PS Y12, Y15, Y0; \
	VFMADD231PS Y13, Y15, Y1; \
	VFMADD231PS Y14, Y15, Y2; \
	VMOVUPS     (SI)(R8*1), Y15; \
	VFMADD231PS Y12, Y15, Y3; \
	VFMADD231PS Y13, Y15, Y4; \
	VFMADD231PS Y14, Y15, Y5; \
	VMOVUPS     (SI)(R8*2), Y15; \
	VFMADD231PS Y12, Y15, Y6; \
	VFMADD231PS Y13, Y15, Y7; \
	VFMADD231PS Y14, Y15, Y8; \
	VMOVUPS     (SI)(R9*1), Y15; \
	VFMADD231PS Y12, Y15, Y9; \
	VFMADD231PS Y13, Y15, Y10; \
	VFMADD231PS Y14, Y15, Y11

// func dotTile4x3(q, x []float32, d int, acc, out []float32)
// Requires len(q) >= 4*d, len(x) >= 3*d, len(acc) >= 384, len(out) >= 12;
// reads d &^ 7 elements of each query and row.
TEXT ·dotTile4x3(SB), NOSPLIT, $0-104
	MOVQ q_base+0(FP), R10
	MOVQ x_base+24(FP), R11
	MOVQ d+48(FP), R8
	MOVQ acc_base+56(FP), DX
	MOVQ out_base+80(FP), R15
	MOVQ R8, R12
	SHRQ $3, R12               // R12 = chunks
	MOVQ R12, R13
	SHRQ $2, R13               // R13 = groups of four chunks
	MOVQ R13, R14
	SHLQ $2, R14
	SUBQ R14, R12              // R12 = chunks left after the groups
	SHLQ $2, R8                // R8 = row stride in bytes
	LEAQ (R8)(R8*2), R9
	XORQ BX, BX                // BX = pass (accumulator) number

pass:
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
	MOVQ   BX, AX
	SHLQ   $5, AX
	LEAQ   (R10)(AX*1), SI
	LEAQ   (R11)(AX*1), DI
	MOVQ   R13, CX
	TESTQ  CX, CX
	JZ     rest

groups:
	STEP
	ADDQ $128, SI
	ADDQ $128, DI
	DECQ CX
	JNZ  groups

rest:
	TESTQ BX, BX
	JNZ   save
	MOVQ  R12, CX

restloop:
	TESTQ CX, CX
	JZ    save
	STEP
	ADDQ  $32, SI
	ADDQ  $32, DI
	DECQ  CX
	JMP   restloop

save:
	MOVQ    BX, AX
	IMULQ   $384, AX
	LEAQ    (DX)(AX*1), AX
	VMOVUPS Y0, (AX)
	VMOVUPS Y1, 32(AX)
	VMOVUPS Y2, 64(AX)
	VMOVUPS Y3, 96(AX)
	VMOVUPS Y4, 128(AX)
	VMOVUPS Y5, 160(AX)
	VMOVUPS Y6, 192(AX)
	VMOVUPS Y7, 224(AX)
	VMOVUPS Y8, 256(AX)
	VMOVUPS Y9, 288(AX)
	VMOVUPS Y10, 320(AX)
	VMOVUPS Y11, 352(AX)
	INCQ    BX
	CMPQ    BX, $4
	JLT     pass

	// Reduce pair p: acc[a] at DX + 384*a + 32*p, as dotrow_amd64.h does.
	XORQ CX, CX

reduce:
	VMOVUPS      (DX), Y0
	VADDPS       384(DX), Y0, Y0
	VMOVUPS      768(DX), Y2
	VADDPS       1152(DX), Y2, Y2
	VADDPS       Y2, Y0, Y0
	VEXTRACTF128 $1, Y0, X1
	VADDPS       X1, X0, X0
	VPERMILPS    $0x4e, X0, X1
	VADDPS       X1, X0, X0
	VPERMILPS    $0xb1, X0, X1
	VADDSS       X1, X0, X0
	MOVSS        X0, (R15)(CX*4)
	ADDQ         $32, DX
	INCQ         CX
	CMPQ         CX, $12
	JLT          reduce
	VZEROUPPER
	RET
