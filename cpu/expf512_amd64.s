#include "textflag.h"

// Vector exp and erf of float32 lanes for AVX-512 (AVX512F only; see
// expf.go and expf_amd64.s): expF32's and erfF32's algorithms, eight
// lanes at a time in float64 (twice the lanes of expAVX2 and erfAVX2),
// rounded once to float32 at the end. The constants are single float64s,
// broadcast by each instruction that reads one (.BCST); the selections
// use mask registers instead of VBLENDVPD. Both process len(d) rounded
// down to a multiple of 8; the caller does the rest.

#define C1(off, v) DATA erfconst512<>+(off)(SB)/8, v

C1(0, $1.4426950408889634)          // log2(e)
C1(8, $6.93147180369123816490e-01)  // ln2 high part
C1(16, $1.90821492927058770002e-10) // ln2 low part
C1(24, $4503599627371519.0)         // 2^52 + 1023: k + this has k + 1023 in its low bits
C1(32, $2.48015873015873015873e-05) // 1/40320
C1(40, $1.98412698412698412698e-04) // 1/5040
C1(48, $1.38888888888888888889e-03) // 1/720
C1(56, $8.33333333333333333333e-03) // 1/120
C1(64, $4.16666666666666666667e-02) // 1/24
C1(72, $1.66666666666666666667e-01) // 1/6
C1(80, $0.5)
C1(88, $1.0)
C1(96, $0x7fffffffffffffff)         // |x| mask
C1(104, $0x8000000000000000)        // sign mask
C1(112, $3.92)
// erf below 1: x + x*P(x*x)
C1(120, $7.889122207e-05)
C1(128, $-8.020841051e-04)
C1(136, $5.189535208e-03)
C1(144, $-2.685444430e-02)
C1(152, $1.128360033e-01)
C1(160, $-3.761262596e-01)
C1(168, $1.283791661e-01)
// erf from 1 to 3.92: 1 - exp(Q(|x|))
C1(176, $1.599799248e-06)
C1(184, $-4.529770376e-05)
C1(192, $5.901999539e-04)
C1(200, $-4.727672786e-03)
C1(208, $2.632747777e-02)
C1(216, $-1.099096462e-01)
C1(224, $-6.320134997e-01)
C1(232, $-1.130119681e+00)
C1(240, $2.910125186e-04)
C1(248, $88.72284)                  // expHi
C1(256, $-104.0)                    // expLo
C1(264, $0x7ff0000000000000)        // +Inf
GLOBL erfconst512<>(SB), RODATA|NOPTR, $272

#define B(off) erfconst512<>+(off)(SB)

// EXPCORE8 sets P = e^X for X (eight float64 lanes) as EXPCORE does.
// Uses T1, T2.
#define EXPCORE8(X, P, T1, T2) \
	VMULPD.BCST       B(0), X, T1; \
	VRNDSCALEPD       $0, T1, T1; \
	VMOVAPD           X, T2; \
	VFNMADD231PD.BCST B(8), T1, T2; \
	VFNMADD231PD.BCST B(16), T1, T2; \
	VBROADCASTSD      B(32), P; \
	VFMADD213PD.BCST  B(40), T2, P; \
	VFMADD213PD.BCST  B(48), T2, P; \
	VFMADD213PD.BCST  B(56), T2, P; \
	VFMADD213PD.BCST  B(64), T2, P; \
	VFMADD213PD.BCST  B(72), T2, P; \
	VFMADD213PD.BCST  B(80), T2, P; \
	VFMADD213PD.BCST  B(88), T2, P; \
	VFMADD213PD.BCST  B(88), T2, P; \
	VADDPD.BCST       B(24), T1, T1; \
	VPSLLQ            $52, T1, T1; \
	VMULPD            T1, P, P

// EXP8 sets P = e^X with expF32's edge cases, as EXP4 does: +Inf above
// expHi, 0 below expLo, NaN for NaN (the arithmetic carries it). Uses T1,
// T2, K1 and K2.
#define EXP8(X, P, T1, T2) \
	EXPCORE8(X, P, T1, T2); \
	VCMPPD.BCST  $0x1e, B(248), X, K1; \
	VBROADCASTSD B(264), K1, P; \
	VCMPPD.BCST  $0x11, B(256), X, K2; \
	VPXORQ       T1, T1, T1; \
	VMOVAPD      T1, K2, P

// ERF8 sets P = erf(X) as erfF32 computes it, as ERF4 does. Uses T1..T5,
// K1 and K2.
#define ERF8(X, P, T1, T2, T3, T4, T5) \
	VPANDQ.BCST      B(96), X, T3; \
	VBROADCASTSD     B(176), T4; \
	VFMADD213PD.BCST B(184), T3, T4; \
	VFMADD213PD.BCST B(192), T3, T4; \
	VFMADD213PD.BCST B(200), T3, T4; \
	VFMADD213PD.BCST B(208), T3, T4; \
	VFMADD213PD.BCST B(216), T3, T4; \
	VFMADD213PD.BCST B(224), T3, T4; \
	VFMADD213PD.BCST B(232), T3, T4; \
	VFMADD213PD.BCST B(240), T3, T4; \
	EXPCORE8(T4, P, T1, T2); \
	VBROADCASTSD     B(88), T4; \
	VSUBPD           P, T4, P; \
	VPANDQ.BCST      B(104), X, T5; \
	VPORQ            T5, P, P; \
	VPORQ.BCST       B(88), T5, T5; \
	VCMPPD.BCST      $0x1d, B(112), T3, K1; \
	VMOVAPD          T5, K1, P; \
	VMULPD           X, X, T4; \
	VBROADCASTSD     B(120), T5; \
	VFMADD213PD.BCST B(128), T4, T5; \
	VFMADD213PD.BCST B(136), T4, T5; \
	VFMADD213PD.BCST B(144), T4, T5; \
	VFMADD213PD.BCST B(152), T4, T5; \
	VFMADD213PD.BCST B(160), T4, T5; \
	VFMADD213PD.BCST B(168), T4, T5; \
	VFMADD213PD      X, X, T5; \
	VCMPPD.BCST      $0x11, B(88), T3, K2; \
	VMOVAPD          T5, K2, P

// func erfAVX512(d, a []float32)
// d[i] = erfF32(a[i]) for i < len(d) &^ 7. Requires len(a) >= len(d).
// Two groups of eight lanes an iteration while sixteen remain, so that
// the two dependency chains overlap.
TEXT ·erfAVX512(SB), NOSPLIT, $0-48
	MOVQ d_base+0(FP), DI
	MOVQ d_len+8(FP), CX
	MOVQ a_base+24(FP), SI
	SHRQ $3, CX
	JZ   erfdone

erf16:
	CMPQ       CX, $2
	JLT        erf8
	VCVTPS2PD  (SI), Z0
	VCVTPS2PD  32(SI), Z7
	ERF8(Z0, Z1, Z2, Z3, Z4, Z5, Z6)
	ERF8(Z7, Z8, Z9, Z10, Z11, Z12, Z13)
	VCVTPD2PS  Z1, Y1
	VCVTPD2PS  Z8, Y8
	VMOVUPS    Y1, (DI)
	VMOVUPS    Y8, 32(DI)
	ADDQ       $64, SI
	ADDQ       $64, DI
	SUBQ       $2, CX
	JNZ        erf16
	JMP        erfdone

erf8:
	VCVTPS2PD  (SI), Z0
	ERF8(Z0, Z1, Z2, Z3, Z4, Z5, Z6)
	VCVTPD2PS  Z1, Y1
	VMOVUPS    Y1, (DI)

erfdone:
	VZEROUPPER
	RET

// func expAVX512(d, a []float32)
// d[i] = expF32(a[i]) for i < len(d) &^ 7. Requires len(a) >= len(d).
TEXT ·expAVX512(SB), NOSPLIT, $0-48
	MOVQ d_base+0(FP), DI
	MOVQ d_len+8(FP), CX
	MOVQ a_base+24(FP), SI
	SHRQ $3, CX
	JZ   expdone

exp8:
	VCVTPS2PD  (SI), Z0
	EXP8(Z0, Z1, Z2, Z3)
	VCVTPD2PS  Z1, Y1
	VMOVUPS    Y1, (DI)
	ADDQ       $32, SI
	ADDQ       $32, DI
	DECQ       CX
	JNZ        exp8

expdone:
	VZEROUPPER
	RET
