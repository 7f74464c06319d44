#include "textflag.h"

// Vector exp and erf of float32 lanes for AVX-512 (AVX512F only; see
// expf.go and expf_amd64.s): expF32's and erfF32's algorithms, eight
// lanes at a time in float64 (twice the lanes of expAVX2 and erfAVX2),
// rounded once to float32 at the end. The constants are those of
// expf_amd64.s's table (·expconst, each stored four times), broadcast by
// each instruction that reads one (.BCST); the selections
// use mask registers instead of VBLENDVPD. Both process len(d) rounded
// down to a multiple of 8; the caller does the rest.

#define B(off) ·expconst+(off)(SB)

// EXPCORE8 sets P = e^X for X (eight float64 lanes) as EXPCORE does.
// Uses T1, T2.
#define EXPCORE8(X, P, T1, T2) \
	VMULPD.BCST       B(0), X, T1; \
	VRNDSCALEPD       $0, T1, T1; \
	VMOVAPD           X, T2; \
	VFNMADD231PD.BCST B(32), T1, T2; \
	VFNMADD231PD.BCST B(64), T1, T2; \
	VBROADCASTSD      B(128), P; \
	VFMADD213PD.BCST  B(160), T2, P; \
	VFMADD213PD.BCST  B(192), T2, P; \
	VFMADD213PD.BCST  B(224), T2, P; \
	VFMADD213PD.BCST  B(256), T2, P; \
	VFMADD213PD.BCST  B(288), T2, P; \
	VFMADD213PD.BCST  B(320), T2, P; \
	VFMADD213PD.BCST  B(352), T2, P; \
	VFMADD213PD.BCST  B(352), T2, P; \
	VADDPD.BCST       B(96), T1, T1; \
	VPSLLQ            $52, T1, T1; \
	VMULPD            T1, P, P

// EXP8 sets P = e^X with expF32's edge cases, as EXP4 does: +Inf above
// expHi, 0 below expLo, NaN for NaN (the arithmetic carries it). Uses T1,
// T2, K1 and K2.
#define EXP8(X, P, T1, T2) \
	EXPCORE8(X, P, T1, T2); \
	VCMPPD.BCST  $0x1e, B(384), X, K1; \
	VBROADCASTSD B(448), K1, P; \
	VCMPPD.BCST  $0x11, B(416), X, K2; \
	VPXORQ       T1, T1, T1; \
	VMOVAPD      T1, K2, P

// ERF8 sets P = erf(X) as erfF32 computes it, as ERF4 does. Uses T1..T5,
// K1 and K2.
#define ERF8(X, P, T1, T2, T3, T4, T5) \
	VPANDQ.BCST      B(480), X, T3; \
	VBROADCASTSD     B(800), T4; \
	VFMADD213PD.BCST B(832), T3, T4; \
	VFMADD213PD.BCST B(864), T3, T4; \
	VFMADD213PD.BCST B(896), T3, T4; \
	VFMADD213PD.BCST B(928), T3, T4; \
	VFMADD213PD.BCST B(960), T3, T4; \
	VFMADD213PD.BCST B(992), T3, T4; \
	VFMADD213PD.BCST B(1024), T3, T4; \
	VFMADD213PD.BCST B(1056), T3, T4; \
	EXPCORE8(T4, P, T1, T2); \
	VBROADCASTSD     B(352), T4; \
	VSUBPD           P, T4, P; \
	VPANDQ.BCST      B(512), X, T5; \
	VPORQ            T5, P, P; \
	VPORQ.BCST       B(352), T5, T5; \
	VCMPPD.BCST      $0x1d, B(544), T3, K1; \
	VMOVAPD          T5, K1, P; \
	VMULPD           X, X, T4; \
	VBROADCASTSD     B(576), T5; \
	VFMADD213PD.BCST B(608), T4, T5; \
	VFMADD213PD.BCST B(640), T4, T5; \
	VFMADD213PD.BCST B(672), T4, T5; \
	VFMADD213PD.BCST B(704), T4, T5; \
	VFMADD213PD.BCST B(736), T4, T5; \
	VFMADD213PD.BCST B(768), T4, T5; \
	VFMADD213PD      X, X, T5; \
	VCMPPD.BCST      $0x11, B(352), T3, K2; \
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
