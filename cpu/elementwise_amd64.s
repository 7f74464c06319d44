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

// func affineAVX2(d, a []float32, s, t float32)
// d[i] = a[i]*s + t, one FMA (one rounding). Requires len(a) >= len(d).
TEXT ·affineAVX2(SB), NOSPLIT, $0-56
	MOVQ         d_base+0(FP), DI
	MOVQ         d_len+8(FP), CX
	MOVQ         a_base+24(FP), SI
	VBROADCASTSS s+48(FP), Y14
	VBROADCASTSS t+52(FP), Y15

af8:
	CMPQ        CX, $8
	JLT         af1
	VMOVUPS     (SI), Y0
	VFMADD213PS Y15, Y14, Y0
	VMOVUPS     Y0, (DI)
	ADDQ        $32, SI
	ADDQ        $32, DI
	SUBQ        $8, CX
	JMP         af8

af1:
	TESTQ       CX, CX
	JZ          afdone
	VMOVSS      (SI), X0
	VFMADD213SS X15, X14, X0
	VMOVSS      X0, (DI)
	ADDQ        $4, SI
	ADDQ        $4, DI
	DECQ        CX
	JMP         af1

afdone:
	VZEROUPPER
	RET

// func maxAVX2(x []float32) float32
// The largest of x[:len(x)&^7] by VMAXPS, -Inf when there are none. With
// a NaN among them the result is unspecified (VMAXPS returns the element
// when either operand is NaN, so a lane's maximum so far can be lost).
// The caller takes the rest.
TEXT ·maxAVX2(SB), NOSPLIT, $0-28
	MOVQ         x_base+0(FP), SI
	MOVQ         x_len+8(FP), CX
	MOVL         $0xff800000, AX
	VMOVD        AX, X0
	VPBROADCASTD X0, Y0
	VMOVAPS      Y0, Y1
	SHRQ         $3, CX
	JZ           mxreduce

mx8:
	VMAXPS (SI), Y0, Y0
	ADDQ   $32, SI
	DECQ   CX
	JZ     mxreduce
	VMAXPS (SI), Y1, Y1
	ADDQ   $32, SI
	DECQ   CX
	JNZ    mx8

mxreduce:
	VMAXPS       Y1, Y0, Y0
	VEXTRACTF128 $1, Y0, X1
	VMAXPS       X1, X0, X0
	VMOVHLPS     X0, X1, X1
	VMAXPS       X1, X0, X0
	VPSHUFD      $1, X0, X1
	VMAXPS       X1, X0, X0
	VMOVSS       X0, ret+24(FP)
	VZEROUPPER
	RET
