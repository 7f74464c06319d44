#include "textflag.h"

// F16C's VCVTPS2PH with immediate 0: round to nearest even, as FromFloat32
// (see encode_amd64.go). The main loop does 32 elements, then 8, then 1 at
// a time.

// func f32ToF16F16C(dst []byte, src []float32)
// Converts len(src) values; requires len(dst) >= 2*len(src).
TEXT ·f32ToF16F16C(SB), NOSPLIT, $0-48
	MOVQ dst_base+0(FP), DI
	MOVQ src_base+24(FP), SI
	MOVQ src_len+32(FP), CX
	CMPQ CX, $32
	JLT  e8

e32:
	VMOVUPS   (SI), Y0
	VMOVUPS   32(SI), Y1
	VMOVUPS   64(SI), Y2
	VMOVUPS   96(SI), Y3
	VCVTPS2PH $0, Y0, (DI)
	VCVTPS2PH $0, Y1, 16(DI)
	VCVTPS2PH $0, Y2, 32(DI)
	VCVTPS2PH $0, Y3, 48(DI)
	ADDQ      $128, SI
	ADDQ      $64, DI
	SUBQ      $32, CX
	CMPQ      CX, $32
	JGE       e32

e8:
	CMPQ      CX, $8
	JLT       e1
	VMOVUPS   (SI), Y0
	VCVTPS2PH $0, Y0, (DI)
	ADDQ      $32, SI
	ADDQ      $16, DI
	SUBQ      $8, CX
	JMP       e8

e1:
	TESTQ     CX, CX
	JZ        edone
	VMOVSS    (SI), X0
	VCVTPS2PH $0, X0, X1
	VMOVD     X1, AX
	MOVW      AX, (DI)
	ADDQ      $4, SI
	ADDQ      $2, DI
	DECQ      CX
	JMP       e1

edone:
	VZEROUPPER
	RET
