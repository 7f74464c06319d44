#include "textflag.h"

// The AVX-512 tile kernel of the batch L2 scan (scan.go): the squared
// distances of 8 float32 queries from 3 float32 rows scaled by their
// scales, sum((q - scale*x)^2), each computed with the very operations of
// the L2 row kernel l2RowF32 (dotrow_amd64.h with METRIC_L2), so a
// distance does not depend on the path or the batch it was computed in.
//
// The row kernel keeps four 8-lane accumulators; chunk c of 8 elements
// goes to accumulator c % 4 while four chunks remain, the last chunks to
// accumulator 0; each chunk adds t*t for t = q - scale*x (one FNMADD).
// As in dottile512_amd64.s, a ZMM register holds two accumulators side by
// side, pass 0 accumulators 0 and 1 and the last chunks (low halves only,
// opmask K1), pass 1 accumulators 2 and 3. Pair (i, j) lives in Z(3i+j);
// the 3 row halves in Z24..Z26, the 3 scales in Z27..Z29, the query half
// in Z30 and t in Z31: 24 FNMADDs and 24 FMAs for 11 loads.

// STEPZ does one group of four chunks for this pass: queries at SI (row
// stride R8, R9 = 3*R8) and R10 = SI + 4*R8, rows at DI.
#define STEPZ \
	VMOVUPS      (DI), Z24; \
	VMOVUPS      (DI)(R8*1), Z25; \
	VMOVUPS      (DI)(R8*2), Z26; \
	VMOVUPS      (SI), Z30; \
	VMOVAPS      Z30, Z31; \
	VFNMADD231PS Z24, Z27, Z31; \
	VFMADD231PS  Z31, Z31, Z0; \
	VMOVAPS      Z30, Z31; \
	VFNMADD231PS Z25, Z28, Z31; \
	VFMADD231PS  Z31, Z31, Z1; \
	VMOVAPS      Z30, Z31; \
	VFNMADD231PS Z26, Z29, Z31; \
	VFMADD231PS  Z31, Z31, Z2; \
	VMOVUPS      (SI)(R8*1), Z30; \
	VMOVAPS      Z30, Z31; \
	VFNMADD231PS Z24, Z27, Z31; \
	VFMADD231PS  Z31, Z31, Z3; \
	VMOVAPS      Z30, Z31; \
	VFNMADD231PS Z25, Z28, Z31; \
	VFMADD231PS  Z31, Z31, Z4; \
	VMOVAPS      Z30, Z31; \
	VFNMADD231PS Z26, Z29, Z31; \
	VFMADD231PS  Z31, Z31, Z5; \
	VMOVUPS      (SI)(R8*2), Z30; \
	VMOVAPS      Z30, Z31; \
	VFNMADD231PS Z24, Z27, Z31; \
	VFMADD231PS  Z31, Z31, Z6; \
	VMOVAPS      Z30, Z31; \
	VFNMADD231PS Z25, Z28, Z31; \
	VFMADD231PS  Z31, Z31, Z7; \
	VMOVAPS      Z30, Z31; \
	VFNMADD231PS Z26, Z29, Z31; \
	VFMADD231PS  Z31, Z31, Z8; \
	VMOVUPS      (SI)(R9*1), Z30; \
	VMOVAPS      Z30, Z31; \
	VFNMADD231PS Z24, Z27, Z31; \
	VFMADD231PS  Z31, Z31, Z9; \
	VMOVAPS      Z30, Z31; \
	VFNMADD231PS Z25, Z28, Z31; \
	VFMADD231PS  Z31, Z31, Z10; \
	VMOVAPS      Z30, Z31; \
	VFNMADD231PS Z26, Z29, Z31; \
	VFMADD231PS  Z31, Z31, Z11; \
	VMOVUPS      (R10), Z30; \
	VMOVAPS      Z30, Z31; \
	VFNMADD231PS Z24, Z27, Z31; \
	VFMADD231PS  Z31, Z31, Z12; \
	VMOVAPS      Z30, Z31; \
	VFNMADD231PS Z25, Z28, Z31; \
	VFMADD231PS  Z31, Z31, Z13; \
	VMOVAPS      Z30, Z31; \
	VFNMADD231PS Z26, Z29, Z31; \
	VFMADD231PS  Z31, Z31, Z14; \
	VMOVUPS      (R10)(R8*1), Z30; \
	VMOVAPS      Z30, Z31; \
	VFNMADD231PS Z24, Z27, Z31; \
	VFMADD231PS  Z31, Z31, Z15; \
	VMOVAPS      Z30, Z31; \
	VFNMADD231PS Z25, Z28, Z31; \
	VFMADD231PS  Z31, Z31, Z16; \
	VMOVAPS      Z30, Z31; \
	VFNMADD231PS Z26, Z29, Z31; \
	VFMADD231PS  Z31, Z31, Z17; \
	VMOVUPS      (R10)(R8*2), Z30; \
	VMOVAPS      Z30, Z31; \
	VFNMADD231PS Z24, Z27, Z31; \
	VFMADD231PS  Z31, Z31, Z18; \
	VMOVAPS      Z30, Z31; \
	VFNMADD231PS Z25, Z28, Z31; \
	VFMADD231PS  Z31, Z31, Z19; \
	VMOVAPS      Z30, Z31; \
	VFNMADD231PS Z26, Z29, Z31; \
	VFMADD231PS  Z31, Z31, Z20; \
	VMOVUPS      (R10)(R9*1), Z30; \
	VMOVAPS      Z30, Z31; \
	VFNMADD231PS Z24, Z27, Z31; \
	VFMADD231PS  Z31, Z31, Z21; \
	VMOVAPS      Z30, Z31; \
	VFNMADD231PS Z25, Z28, Z31; \
	VFMADD231PS  Z31, Z31, Z22; \
	VMOVAPS      Z30, Z31; \
	VFNMADD231PS Z26, Z29, Z31; \
	VFMADD231PS  Z31, Z31, Z23

// STEPY does one last chunk into accumulator 0 (the low halves): 32-byte
// loads clear the upper lanes and K1 keeps the FMAs off them.
#define STEPY \
	VMOVUPS      (DI), Y24; \
	VMOVUPS      (DI)(R8*1), Y25; \
	VMOVUPS      (DI)(R8*2), Y26; \
	VMOVUPS      (SI), Y30; \
	VMOVAPS      Z30, Z31; \
	VFNMADD231PS Z24, Z27, Z31; \
	VFMADD231PS  Z31, Z31, K1, Z0; \
	VMOVAPS      Z30, Z31; \
	VFNMADD231PS Z25, Z28, Z31; \
	VFMADD231PS  Z31, Z31, K1, Z1; \
	VMOVAPS      Z30, Z31; \
	VFNMADD231PS Z26, Z29, Z31; \
	VFMADD231PS  Z31, Z31, K1, Z2; \
	VMOVUPS      (SI)(R8*1), Y30; \
	VMOVAPS      Z30, Z31; \
	VFNMADD231PS Z24, Z27, Z31; \
	VFMADD231PS  Z31, Z31, K1, Z3; \
	VMOVAPS      Z30, Z31; \
	VFNMADD231PS Z25, Z28, Z31; \
	VFMADD231PS  Z31, Z31, K1, Z4; \
	VMOVAPS      Z30, Z31; \
	VFNMADD231PS Z26, Z29, Z31; \
	VFMADD231PS  Z31, Z31, K1, Z5; \
	VMOVUPS      (SI)(R8*2), Y30; \
	VMOVAPS      Z30, Z31; \
	VFNMADD231PS Z24, Z27, Z31; \
	VFMADD231PS  Z31, Z31, K1, Z6; \
	VMOVAPS      Z30, Z31; \
	VFNMADD231PS Z25, Z28, Z31; \
	VFMADD231PS  Z31, Z31, K1, Z7; \
	VMOVAPS      Z30, Z31; \
	VFNMADD231PS Z26, Z29, Z31; \
	VFMADD231PS  Z31, Z31, K1, Z8; \
	VMOVUPS      (SI)(R9*1), Y30; \
	VMOVAPS      Z30, Z31; \
	VFNMADD231PS Z24, Z27, Z31; \
	VFMADD231PS  Z31, Z31, K1, Z9; \
	VMOVAPS      Z30, Z31; \
	VFNMADD231PS Z25, Z28, Z31; \
	VFMADD231PS  Z31, Z31, K1, Z10; \
	VMOVAPS      Z30, Z31; \
	VFNMADD231PS Z26, Z29, Z31; \
	VFMADD231PS  Z31, Z31, K1, Z11; \
	VMOVUPS      (R10), Y30; \
	VMOVAPS      Z30, Z31; \
	VFNMADD231PS Z24, Z27, Z31; \
	VFMADD231PS  Z31, Z31, K1, Z12; \
	VMOVAPS      Z30, Z31; \
	VFNMADD231PS Z25, Z28, Z31; \
	VFMADD231PS  Z31, Z31, K1, Z13; \
	VMOVAPS      Z30, Z31; \
	VFNMADD231PS Z26, Z29, Z31; \
	VFMADD231PS  Z31, Z31, K1, Z14; \
	VMOVUPS      (R10)(R8*1), Y30; \
	VMOVAPS      Z30, Z31; \
	VFNMADD231PS Z24, Z27, Z31; \
	VFMADD231PS  Z31, Z31, K1, Z15; \
	VMOVAPS      Z30, Z31; \
	VFNMADD231PS Z25, Z28, Z31; \
	VFMADD231PS  Z31, Z31, K1, Z16; \
	VMOVAPS      Z30, Z31; \
	VFNMADD231PS Z26, Z29, Z31; \
	VFMADD231PS  Z31, Z31, K1, Z17; \
	VMOVUPS      (R10)(R8*2), Y30; \
	VMOVAPS      Z30, Z31; \
	VFNMADD231PS Z24, Z27, Z31; \
	VFMADD231PS  Z31, Z31, K1, Z18; \
	VMOVAPS      Z30, Z31; \
	VFNMADD231PS Z25, Z28, Z31; \
	VFMADD231PS  Z31, Z31, K1, Z19; \
	VMOVAPS      Z30, Z31; \
	VFNMADD231PS Z26, Z29, Z31; \
	VFMADD231PS  Z31, Z31, K1, Z20; \
	VMOVUPS      (R10)(R9*1), Y30; \
	VMOVAPS      Z30, Z31; \
	VFNMADD231PS Z24, Z27, Z31; \
	VFMADD231PS  Z31, Z31, K1, Z21; \
	VMOVAPS      Z30, Z31; \
	VFNMADD231PS Z25, Z28, Z31; \
	VFMADD231PS  Z31, Z31, K1, Z22; \
	VMOVAPS      Z30, Z31; \
	VFNMADD231PS Z26, Z29, Z31; \
	VFMADD231PS  Z31, Z31, K1, Z23

// func l2Tile8x3(q, x []float32, d int, scales, acc, out []float32)
// Requires len(q) >= 8*d, len(x) >= 3*d, len(scales) >= 3, len(acc) >=
// 768, len(out) >= 24; reads d &^ 7 elements of each query and row.
TEXT ·l2Tile8x3(SB), NOSPLIT, $0-128
	MOVQ         q_base+0(FP), R11
	MOVQ         x_base+24(FP), R12
	MOVQ         d+48(FP), R8
	MOVQ         scales_base+56(FP), AX
	VBROADCASTSS (AX), Z27
	VBROADCASTSS 4(AX), Z28
	VBROADCASTSS 8(AX), Z29
	MOVQ         acc_base+80(FP), DX
	MOVQ         out_base+104(FP), R15
#include "tile512_amd64.h"
