#include "textflag.h"

// Vector exp and erf of float32 lanes for AVX2 and FMA (see expf.go and
// expf_amd64.go): the algorithms of expF32 and erfF32, four lanes at a
// time in float64 (VCVTPS2PD), rounded once to float32 at the end. Both
// process len(d) rounded down to a multiple of 4; the caller does the
// rest. Each constant is stored four times (32 bytes) so that it can be
// an FMA's memory operand; the AVX-512 kernels (expf512_amd64.s) read the
// same table, a constant's first copy broadcast.

#define C4(off, v) DATA ·expconst+(off)(SB)/8, v; DATA ·expconst+(off+8)(SB)/8, v; DATA ·expconst+(off+16)(SB)/8, v; DATA ·expconst+(off+24)(SB)/8, v

C4(0, $1.4426950408889634)      // log2(e)
C4(32, $6.93147180369123816490e-01)  // ln2 high part
C4(64, $1.90821492927058770002e-10)  // ln2 low part
C4(96, $4503599627371519.0)     // 2^52 + 1023: k + this has k + 1023 in its low bits
C4(128, $2.48015873015873015873e-05) // 1/40320
C4(160, $1.98412698412698412698e-04) // 1/5040
C4(192, $1.38888888888888888889e-03) // 1/720
C4(224, $8.33333333333333333333e-03) // 1/120
C4(256, $4.16666666666666666667e-02) // 1/24
C4(288, $1.66666666666666666667e-01) // 1/6
C4(320, $0.5)
C4(352, $1.0)
C4(384, $88.72284)              // expHi
C4(416, $-104.0)                // expLo
C4(448, $0x7ff0000000000000)    // +Inf
C4(480, $0x7fffffffffffffff)    // |x| mask
C4(512, $0x8000000000000000)    // sign mask
C4(544, $3.92)
// erf below 1: x + x*P(x*x)
C4(576, $7.889122207e-05)
C4(608, $-8.020841051e-04)
C4(640, $5.189535208e-03)
C4(672, $-2.685444430e-02)
C4(704, $1.128360033e-01)
C4(736, $-3.761262596e-01)
C4(768, $1.283791661e-01)
// erf from 1 to 3.92: 1 - exp(Q(|x|))
C4(800, $1.599799248e-06)
C4(832, $-4.529770376e-05)
C4(864, $5.901999539e-04)
C4(896, $-4.727672786e-03)
C4(928, $2.632747777e-02)
C4(960, $-1.099096462e-01)
C4(992, $-6.320134997e-01)
C4(1024, $-1.130119681e+00)
C4(1056, $2.910125186e-04)
GLOBL ·expconst(SB), RODATA|NOPTR, $1088

#define K(off) ·expconst+(off)(SB)

// EXPCORE sets P = e^X for X (float64 lanes) in the range of expF32
// without its edge cases: k = round(X log2 e), r = X - k ln2 (two
// parts), P = Taylor(r) * 2^k. Uses T1, T2.
#define EXPCORE(X, P, T1, T2) \
	VMULPD      K(0), X, T1; \
	VROUNDPD    $0, T1, T1; \
	VMOVAPD     X, T2; \
	VFNMADD231PD K(32), T1, T2; \
	VFNMADD231PD K(64), T1, T2; \
	VMOVUPD     K(128), P; \
	VFMADD213PD K(160), T2, P; \
	VFMADD213PD K(192), T2, P; \
	VFMADD213PD K(224), T2, P; \
	VFMADD213PD K(256), T2, P; \
	VFMADD213PD K(288), T2, P; \
	VFMADD213PD K(320), T2, P; \
	VFMADD213PD K(352), T2, P; \
	VFMADD213PD K(352), T2, P; \
	VADDPD      K(96), T1, T1; \
	VPSLLQ      $52, T1, T1; \
	VMULPD      T1, P, P

// EXP4 sets P = e^X with expF32's edge cases: +Inf above expHi, 0 below
// expLo, NaN for NaN (the arithmetic carries it). Uses T1, T2.
#define EXP4(X, P, T1, T2) \
	EXPCORE(X, P, T1, T2); \
	VCMPPD    $0x1e, K(384), X, T1; \
	VBLENDVPD T1, K(448), P, P; \
	VCMPPD    $0x11, K(416), X, T1; \
	VANDNPD   P, T1, P

// ERF4 sets P = erf(X) as erfF32 computes it. Uses T1..T5.
#define ERF4(X, P, T1, T2, T3, T4, T5) \
	VANDPD      K(480), X, T3; \
	VMOVUPD     K(800), T4; \
	VFMADD213PD K(832), T3, T4; \
	VFMADD213PD K(864), T3, T4; \
	VFMADD213PD K(896), T3, T4; \
	VFMADD213PD K(928), T3, T4; \
	VFMADD213PD K(960), T3, T4; \
	VFMADD213PD K(992), T3, T4; \
	VFMADD213PD K(1024), T3, T4; \
	VFMADD213PD K(1056), T3, T4; \
	EXPCORE(T4, P, T1, T2); \
	VMOVUPD     K(352), T4; \
	VSUBPD      P, T4, P; \
	VANDPD      K(512), X, T5; \
	VORPD       T5, P, P; \
	VORPD       K(352), T5, T5; \
	VCMPPD      $0x1d, K(544), T3, T1; \
	VBLENDVPD   T1, T5, P, P; \
	VMULPD      X, X, T4; \
	VMOVUPD     K(576), T5; \
	VFMADD213PD K(608), T4, T5; \
	VFMADD213PD K(640), T4, T5; \
	VFMADD213PD K(672), T4, T5; \
	VFMADD213PD K(704), T4, T5; \
	VFMADD213PD K(736), T4, T5; \
	VFMADD213PD K(768), T4, T5; \
	VFMADD213PD X, X, T5; \
	VCMPPD      $0x11, K(352), T3, T1; \
	VBLENDVPD   T1, T5, P, P

// func expAVX2(d, a []float32)
// d[i] = expF32(a[i]) for i < len(d) &^ 3. Requires len(a) >= len(d).
TEXT ·expAVX2(SB), NOSPLIT, $0-48
	MOVQ d_base+0(FP), DI
	MOVQ d_len+8(FP), CX
	MOVQ a_base+24(FP), SI
	SHRQ $2, CX
	JZ   expdone

exp4:
	VCVTPS2PD  (SI), Y0
	EXP4(Y0, Y1, Y2, Y3)
	VCVTPD2PSY Y1, X1
	VMOVUPS    X1, (DI)
	ADDQ       $16, SI
	ADDQ       $16, DI
	DECQ       CX
	JNZ        exp4

expdone:
	VZEROUPPER
	RET

// func erfAVX2(d, a []float32)
// d[i] = erfF32(a[i]) for i < len(d) &^ 3. Requires len(a) >= len(d).
TEXT ·erfAVX2(SB), NOSPLIT, $0-48
	MOVQ d_base+0(FP), DI
	MOVQ d_len+8(FP), CX
	MOVQ a_base+24(FP), SI
	SHRQ $2, CX
	JZ   erfdone

erf4:
	VCVTPS2PD  (SI), Y0
	ERF4(Y0, Y1, Y2, Y3, Y4, Y5, Y6)
	VCVTPD2PSY Y1, X1
	VMOVUPS    X1, (DI)
	ADDQ       $16, SI
	ADDQ       $16, DI
	DECQ       CX
	JNZ        erf4

erfdone:
	VZEROUPPER
	RET
