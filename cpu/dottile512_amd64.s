#include "textflag.h"

// The AVX-512 tile kernel of the batch scan (dottile.go): the dot products
// of 8 float32 queries with 3 float32 rows, each computed with the very
// operations of dotOnlyF32 (dotrow_amd64.h), as dotTile4x3 does.
//
// dotOnlyF32 keeps four 8-lane accumulators per pair; chunk c of 8
// elements goes to accumulator c % 4 while four chunks remain, the last
// chunks to accumulator 0. A 16-lane ZMM register holds two of them side
// by side: loaded 64 bytes at a time, chunks 4g and 4g+1 land in the
// halves of accumulators 0 and 1 (pass 0), chunks 4g+2 and 4g+3 in those
// of 2 and 3 (pass 1, 64 bytes further on). Each pass keeps its half of
// the 24 pairs in Z0..Z23 (pair (i, j) in Z(3i+j)), loads the 3 row
// halves into Z24..Z26 and each query half in turn into Z27, and issues 24
// FMAs for 11 loads. Pass 0 then adds the last chunks into the low halves
// only (opmask K1 = 0xff). The passes leave the accumulators in acc and
// the last step reduces each pair as dotrow_amd64.h does.

// STEPZ does one group of four chunks for this pass: queries at SI (row
// stride R8, R9 = 3*R8) and R10 = SI + 4*R8, rows at DI.
#define STEPZ \
	VMOVUPS     (DI), Z24; \
	VMOVUPS     (DI)(R8*1), Z25; \
	VMOVUPS     (DI)(R8*2), Z26; \
	VMOVUPS     (SI), Z27; \
	VFMADD231PS Z24, Z27, Z0; \
	VFMADD231PS Z25, Z27, Z1; \
	VFMADD231PS Z26, Z27, Z2; \
	VMOVUPS     (SI)(R8*1), Z28; \
	VFMADD231PS Z24, Z28, Z3; \
	VFMADD231PS Z25, Z28, Z4; \
	VFMADD231PS Z26, Z28, Z5; \
	VMOVUPS     (SI)(R8*2), Z29; \
	VFMADD231PS Z24, Z29, Z6; \
	VFMADD231PS Z25, Z29, Z7; \
	VFMADD231PS Z26, Z29, Z8; \
	VMOVUPS     (SI)(R9*1), Z30; \
	VFMADD231PS Z24, Z30, Z9; \
	VFMADD231PS Z25, Z30, Z10; \
	VFMADD231PS Z26, Z30, Z11; \
	VMOVUPS     (R10), Z27; \
	VFMADD231PS Z24, Z27, Z12; \
	VFMADD231PS Z25, Z27, Z13; \
	VFMADD231PS Z26, Z27, Z14; \
	VMOVUPS     (R10)(R8*1), Z28; \
	VFMADD231PS Z24, Z28, Z15; \
	VFMADD231PS Z25, Z28, Z16; \
	VFMADD231PS Z26, Z28, Z17; \
	VMOVUPS     (R10)(R8*2), Z29; \
	VFMADD231PS Z24, Z29, Z18; \
	VFMADD231PS Z25, Z29, Z19; \
	VFMADD231PS Z26, Z29, Z20; \
	VMOVUPS     (R10)(R9*1), Z30; \
	VFMADD231PS Z24, Z30, Z21; \
	VFMADD231PS Z25, Z30, Z22; \
	VFMADD231PS Z26, Z30, Z23

// STEPY does one last chunk into accumulator 0 (the low halves): 32-byte
// loads clear the upper lanes and K1 keeps the FMAs off them.
#define STEPY \
	VMOVUPS     (DI), Y24; \
	VMOVUPS     (DI)(R8*1), Y25; \
	VMOVUPS     (DI)(R8*2), Y26; \
	VMOVUPS     (SI), Y27; \
	VFMADD231PS Z24, Z27, K1, Z0; \
	VFMADD231PS Z25, Z27, K1, Z1; \
	VFMADD231PS Z26, Z27, K1, Z2; \
	VMOVUPS     (SI)(R8*1), Y28; \
	VFMADD231PS Z24, Z28, K1, Z3; \
	VFMADD231PS Z25, Z28, K1, Z4; \
	VFMADD231PS Z26, Z28, K1, Z5; \
	VMOVUPS     (SI)(R8*2), Y29; \
	VFMADD231PS Z24, Z29, K1, Z6; \
	VFMADD231PS Z25, Z29, K1, Z7; \
	VFMADD231PS Z26, Z29, K1, Z8; \
	VMOVUPS     (SI)(R9*1), Y30; \
	VFMADD231PS Z24, Z30, K1, Z9; \
	VFMADD231PS Z25, Z30, K1, Z10; \
	VFMADD231PS Z26, Z30, K1, Z11; \
	VMOVUPS     (R10), Y27; \
	VFMADD231PS Z24, Z27, K1, Z12; \
	VFMADD231PS Z25, Z27, K1, Z13; \
	VFMADD231PS Z26, Z27, K1, Z14; \
	VMOVUPS     (R10)(R8*1), Y28; \
	VFMADD231PS Z24, Z28, K1, Z15; \
	VFMADD231PS Z25, Z28, K1, Z16; \
	VFMADD231PS Z26, Z28, K1, Z17; \
	VMOVUPS     (R10)(R8*2), Y29; \
	VFMADD231PS Z24, Z29, K1, Z18; \
	VFMADD231PS Z25, Z29, K1, Z19; \
	VFMADD231PS Z26, Z29, K1, Z20; \
	VMOVUPS     (R10)(R9*1), Y30; \
	VFMADD231PS Z24, Z30, K1, Z21; \
	VFMADD231PS Z25, Z30, K1, Z22; \
	VFMADD231PS Z26, Z30, K1, Z23

// func dotTile8x3(q, x []float32, d int, acc, out []float32)
// Requires len(q) >= 8*d, len(x) >= 3*d, len(acc) >= 768, len(out) >= 24;
// reads d &^ 7 elements of each query and row.
TEXT ·dotTile8x3(SB), NOSPLIT, $0-104
	MOVQ q_base+0(FP), R11
	MOVQ x_base+24(FP), R12
	MOVQ d+48(FP), R8
	MOVQ acc_base+56(FP), DX
	MOVQ out_base+80(FP), R15
#include "tile512_amd64.h"
