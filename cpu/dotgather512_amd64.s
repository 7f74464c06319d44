#include "textflag.h"

// dotGather4: the dot products of one float32 row with 4 float32 queries
// anywhere in memory, each computed with the very operations of
// dotOnlyF32 (dotrow_amd64.h), as dotTile8x3 does: chunk c of 8 elements
// goes to accumulator c % 4 while four chunks remain, the last chunks to
// accumulator 0, then ((acc0 + acc1) + (acc2 + acc3)) across lanes. A
// query's accumulators 0 and 1 share a ZMM register (halves), 2 and 3
// another: Z0..Z7 for the 4 queries. The row is loaded once for the 4, so
// the 8 independent sums keep both FMA units busy, where a single dot
// waits on its 4 chains.

// RED reduces a query's accumulators (ZA: 0 and 1, ZB: 2 and 3; YA, YB
// their low halves) and stores the sum at off(DI).
#define RED(ZA, ZB, YA, YB, off) \
	VEXTRACTF64X4 $1, ZA, Y8; \
	VADDPS        Y8, YA, Y8; \
	VEXTRACTF64X4 $1, ZB, Y9; \
	VADDPS        Y9, YB, Y9; \
	VADDPS        Y9, Y8, Y8; \
	VEXTRACTF128  $1, Y8, X9; \
	VADDPS        X9, X8, X8; \
	VPERMILPS     $0x4e, X8, X9; \
	VADDPS        X9, X8, X8; \
	VPERMILPS     $0xb1, X8, X9; \
	VADDSS        X9, X8, X8; \
	MOVSS         X8, off(DI)

// func dotGather4(x *float32, q0, q1, q2, q3 *float32, d int, out *[4]float32)
// Reads d &^ 7 elements of x and of each query.
TEXT ·dotGather4(SB), NOSPLIT, $0-56
	MOVQ x+0(FP), SI
	MOVQ q0+8(FP), R8
	MOVQ q1+16(FP), R9
	MOVQ q2+24(FP), R10
	MOVQ q3+32(FP), R11
	MOVQ d+40(FP), CX
	MOVQ out+48(FP), DI
	MOVQ CX, R13
	SHRQ $5, R13               // R13 = groups of four chunks
	MOVQ CX, R14
	SHRQ $3, R14
	ANDQ $3, R14               // R14 = chunks left after the groups
	MOVL $0xff, AX
	KMOVW AX, K1
	VPXORD Z0, Z0, Z0
	VPXORD Z1, Z1, Z1
	VPXORD Z2, Z2, Z2
	VPXORD Z3, Z3, Z3
	VPXORD Z4, Z4, Z4
	VPXORD Z5, Z5, Z5
	VPXORD Z6, Z6, Z6
	VPXORD Z7, Z7, Z7
	TESTQ R13, R13
	JZ    rest

groups:
	VMOVUPS     (SI), Z16
	VMOVUPS     64(SI), Z17
	VFMADD231PS (R8), Z16, Z0
	VFMADD231PS 64(R8), Z17, Z1
	VFMADD231PS (R9), Z16, Z2
	VFMADD231PS 64(R9), Z17, Z3
	VFMADD231PS (R10), Z16, Z4
	VFMADD231PS 64(R10), Z17, Z5
	VFMADD231PS (R11), Z16, Z6
	VFMADD231PS 64(R11), Z17, Z7
	ADDQ        $128, SI
	ADDQ        $128, R8
	ADDQ        $128, R9
	ADDQ        $128, R10
	ADDQ        $128, R11
	DECQ        R13
	JNZ         groups

rest:
	// The last chunks into accumulator 0 (the low halves): 32-byte loads
	// clear the upper lanes and K1 keeps the FMAs off them.
	TESTQ       R14, R14
	JZ          reduce
	VMOVUPS     (SI), Y16
	VMOVUPS     (R8), Y18
	VFMADD231PS Z18, Z16, K1, Z0
	VMOVUPS     (R9), Y18
	VFMADD231PS Z18, Z16, K1, Z2
	VMOVUPS     (R10), Y18
	VFMADD231PS Z18, Z16, K1, Z4
	VMOVUPS     (R11), Y18
	VFMADD231PS Z18, Z16, K1, Z6
	ADDQ        $32, SI
	ADDQ        $32, R8
	ADDQ        $32, R9
	ADDQ        $32, R10
	ADDQ        $32, R11
	DECQ        R14
	JMP         rest

reduce:
	RED(Z0, Z1, Y0, Y1, 0)
	RED(Z2, Z3, Y2, Y3, 4)
	RED(Z4, Z5, Y4, Y5, 8)
	RED(Z6, Z7, Y6, Y7, 12)
	VZEROUPPER
	RET
