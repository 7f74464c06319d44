#include "textflag.h"

// Element-wise kernels for AVX2 and FMA (see elementwise_amd64.go): 16
// lanes a step, then 1. Loads and stores are unaligned.

// func fmaAVX2(d, a, b, c []float32)
// d[i] = float32(float64(a[i])*float64(b[i]) + float64(c[i])) with one
// rounding in float64, exactly as engine.ApplyElementwise defines OpFMA.
// Requires len(a), len(b), len(c) >= len(d).
TEXT ·fmaAVX2(SB), NOSPLIT, $0-96
	MOVQ d_base+0(FP), DI
	MOVQ d_len+8(FP), CX
	MOVQ a_base+24(FP), SI
	MOVQ b_base+48(FP), DX
	MOVQ c_base+72(FP), R8
	CMPQ CX, $8
	JLT  fma1

fma8:
	VCVTPS2PD   (SI), Y0
	VCVTPS2PD   16(SI), Y1
	VCVTPS2PD   (DX), Y2
	VCVTPS2PD   16(DX), Y3
	VCVTPS2PD   (R8), Y4
	VCVTPS2PD   16(R8), Y5
	VFMADD213PD Y4, Y2, Y0
	VFMADD213PD Y5, Y3, Y1
	VCVTPD2PSY  Y0, X0
	VCVTPD2PSY  Y1, X1
	VMOVUPS     X0, (DI)
	VMOVUPS     X1, 16(DI)
	ADDQ        $32, SI
	ADDQ        $32, DX
	ADDQ        $32, R8
	ADDQ        $32, DI
	SUBQ        $8, CX
	CMPQ        CX, $8
	JGE         fma8

fma1:
	TESTQ       CX, CX
	JZ          fmadone
	VCVTSS2SD   (SI), X0, X0
	VCVTSS2SD   (DX), X2, X2
	VCVTSS2SD   (R8), X4, X4
	VFMADD213SD X4, X2, X0
	VCVTSD2SS   X0, X0, X0
	VMOVSS      X0, (DI)
	ADDQ        $4, SI
	ADDQ        $4, DX
	ADDQ        $4, R8
	ADDQ        $4, DI
	DECQ        CX
	JMP         fma1

fmadone:
	VZEROUPPER
	RET

// BINARY defines func name(d, a, b []float32): d[i] = a[i] op b[i] in
// float32 (exactly engine.ApplyElementwise's add, sub, mul and div: the
// float64 result rounds to the float32 one), 32 lanes a step, then 8,
// then 1. Requires len(a), len(b) >= len(d).
#define BINARY(name, OP, OPS) \
TEXT name(SB), NOSPLIT, $0-72; \
	MOVQ d_base+0(FP), DI; \
	MOVQ d_len+8(FP), CX; \
	MOVQ a_base+24(FP), SI; \
	MOVQ b_base+48(FP), DX; \
loop32: \
	CMPQ    CX, $32; \
	JLT     loop8; \
	VMOVUPS (SI), Y0; \
	VMOVUPS 32(SI), Y1; \
	VMOVUPS 64(SI), Y2; \
	VMOVUPS 96(SI), Y3; \
	OP      (DX), Y0, Y0; \
	OP      32(DX), Y1, Y1; \
	OP      64(DX), Y2, Y2; \
	OP      96(DX), Y3, Y3; \
	VMOVUPS Y0, (DI); \
	VMOVUPS Y1, 32(DI); \
	VMOVUPS Y2, 64(DI); \
	VMOVUPS Y3, 96(DI); \
	ADDQ    $128, SI; \
	ADDQ    $128, DX; \
	ADDQ    $128, DI; \
	SUBQ    $32, CX; \
	JMP     loop32; \
loop8: \
	CMPQ    CX, $8; \
	JLT     loop1; \
	VMOVUPS (SI), Y0; \
	OP      (DX), Y0, Y0; \
	VMOVUPS Y0, (DI); \
	ADDQ    $32, SI; \
	ADDQ    $32, DX; \
	ADDQ    $32, DI; \
	SUBQ    $8, CX; \
	JMP     loop8; \
loop1: \
	TESTQ   CX, CX; \
	JZ      done; \
	VMOVSS  (SI), X0; \
	OPS     (DX), X0, X0; \
	VMOVSS  X0, (DI); \
	ADDQ    $4, SI; \
	ADDQ    $4, DX; \
	ADDQ    $4, DI; \
	DECQ    CX; \
	JMP     loop1; \
done: \
	VZEROUPPER; \
	RET

BINARY(·addAVX2, VADDPS, VADDSS)
BINARY(·subAVX2, VSUBPS, VSUBSS)
BINARY(·mulAVX2, VMULPS, VMULSS)
BINARY(·divAVX2, VDIVPS, VDIVSS)
