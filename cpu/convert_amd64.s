#include "textflag.h"

// Conversions between the stored dtypes and float32 (see convert_amd64.go):
// F16C's VCVTPH2PS for float16 to float32 (exact; the other way is
// half.EncodeFloat16's), AVX2 widening for bfloat16
// (the top 16 bits of a float32) and int8. Main loops do 32 elements, then
// 8, then 1 at a time.

// func f16ToF32F16C(dst []float32, src []byte)
// Converts len(dst) float16 values; requires len(src) >= 2*len(dst).
TEXT ·f16ToF32F16C(SB), NOSPLIT, $0-48
	MOVQ dst_base+0(FP), DI
	MOVQ dst_len+8(FP), CX
	MOVQ src_base+24(FP), SI
	CMPQ CX, $32
	JLT  h8

h32:
	VCVTPH2PS (SI), Y0
	VCVTPH2PS 16(SI), Y1
	VCVTPH2PS 32(SI), Y2
	VCVTPH2PS 48(SI), Y3
	VMOVUPS   Y0, (DI)
	VMOVUPS   Y1, 32(DI)
	VMOVUPS   Y2, 64(DI)
	VMOVUPS   Y3, 96(DI)
	ADDQ      $64, SI
	ADDQ      $128, DI
	SUBQ      $32, CX
	CMPQ      CX, $32
	JGE       h32

h8:
	CMPQ      CX, $8
	JLT       h1
	VCVTPH2PS (SI), Y0
	VMOVUPS   Y0, (DI)
	ADDQ      $16, SI
	ADDQ      $32, DI
	SUBQ      $8, CX
	JMP       h8

h1:
	TESTQ     CX, CX
	JZ        hdone
	MOVWLZX   (SI), AX
	VMOVD     AX, X0
	VCVTPH2PS X0, X0
	VMOVSS    X0, (DI)
	ADDQ      $2, SI
	ADDQ      $4, DI
	DECQ      CX
	JMP       h1

hdone:
	VZEROUPPER
	RET

// func bf16ToF32AVX2(dst []float32, src []byte)
// Converts len(dst) bfloat16 values; requires len(src) >= 2*len(dst).
TEXT ·bf16ToF32AVX2(SB), NOSPLIT, $0-48
	MOVQ dst_base+0(FP), DI
	MOVQ dst_len+8(FP), CX
	MOVQ src_base+24(FP), SI
	CMPQ CX, $32
	JLT  b8

b32:
	VPMOVZXWD (SI), Y0
	VPMOVZXWD 16(SI), Y1
	VPMOVZXWD 32(SI), Y2
	VPMOVZXWD 48(SI), Y3
	VPSLLD    $16, Y0, Y0
	VPSLLD    $16, Y1, Y1
	VPSLLD    $16, Y2, Y2
	VPSLLD    $16, Y3, Y3
	VMOVDQU   Y0, (DI)
	VMOVDQU   Y1, 32(DI)
	VMOVDQU   Y2, 64(DI)
	VMOVDQU   Y3, 96(DI)
	ADDQ      $64, SI
	ADDQ      $128, DI
	SUBQ      $32, CX
	CMPQ      CX, $32
	JGE       b32

b8:
	CMPQ      CX, $8
	JLT       b1
	VPMOVZXWD (SI), Y0
	VPSLLD    $16, Y0, Y0
	VMOVDQU   Y0, (DI)
	ADDQ      $16, SI
	ADDQ      $32, DI
	SUBQ      $8, CX
	JMP       b8

b1:
	TESTQ   CX, CX
	JZ      bdone
	MOVWLZX (SI), AX
	SHLL    $16, AX
	MOVL    AX, (DI)
	ADDQ    $2, SI
	ADDQ    $4, DI
	DECQ    CX
	JMP     b1

bdone:
	VZEROUPPER
	RET

// func i8ToF32AVX2(dst []float32, src []byte)
// Converts len(dst) int8 values; requires len(src) >= len(dst).
TEXT ·i8ToF32AVX2(SB), NOSPLIT, $0-48
	MOVQ dst_base+0(FP), DI
	MOVQ dst_len+8(FP), CX
	MOVQ src_base+24(FP), SI
	CMPQ CX, $32
	JLT  q8

q32:
	VPMOVSXBD (SI), Y0
	VPMOVSXBD 8(SI), Y1
	VPMOVSXBD 16(SI), Y2
	VPMOVSXBD 24(SI), Y3
	VCVTDQ2PS Y0, Y0
	VCVTDQ2PS Y1, Y1
	VCVTDQ2PS Y2, Y2
	VCVTDQ2PS Y3, Y3
	VMOVUPS   Y0, (DI)
	VMOVUPS   Y1, 32(DI)
	VMOVUPS   Y2, 64(DI)
	VMOVUPS   Y3, 96(DI)
	ADDQ      $32, SI
	ADDQ      $128, DI
	SUBQ      $32, CX
	CMPQ      CX, $32
	JGE       q32

q8:
	CMPQ      CX, $8
	JLT       q1
	VPMOVSXBD (SI), Y0
	VCVTDQ2PS Y0, Y0
	VMOVUPS   Y0, (DI)
	ADDQ      $8, SI
	ADDQ      $32, DI
	SUBQ      $8, CX
	JMP       q8

q1:
	TESTQ      CX, CX
	JZ         qdone
	MOVBLSX    (SI), AX
	VCVTSI2SSL AX, X0, X0
	VMOVSS     X0, (DI)
	INCQ       SI
	ADDQ       $4, DI
	DECQ       CX
	JMP        q1

qdone:
	VZEROUPPER
	RET

// func prefetchAVX2(b []byte)
// Asks for every cache line of b (PREFETCHT0), so that a later read of a
// row at a random place does not wait for memory.
TEXT ·prefetchAVX2(SB), NOSPLIT, $0-24
	MOVQ b_base+0(FP), SI
	MOVQ b_len+8(FP), CX
	ADDQ SI, CX

pf:
	CMPQ       SI, CX
	JAE        pfdone
	PREFETCHT0 (SI)
	ADDQ       $64, SI
	JMP        pf

pfdone:
	RET
