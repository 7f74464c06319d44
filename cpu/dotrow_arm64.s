#include "textflag.h"

// NEON row kernels, one per stored dtype and metric, their bodies from
// dotrow_arm64.h (see there and dotrow_arm64.go).

#define LOADF32 VLD1.P 64(R1), [V16.S4, V17.S4, V18.S4, V19.S4]

// FCVTL Vd.4S, Vn.4H and FCVTL2 Vd.4S, Vn.8H (half to single precision),
// which Go's assembler does not name (Arm A64 ISA, "FCVTL, FCVTL2").
#define FCVTL(n, d) WORD $(0x0E217800 | (n<<5) | d)
#define FCVTL2(n, d) WORD $(0x4E217800 | (n<<5) | d)
#define LOADF16 VLD1.P 32(R1), [V20.H8, V21.H8]; FCVTL(20, 16); FCVTL2(20, 17); FCVTL(21, 18); FCVTL2(21, 19)

// bfloat16 is the top half of a float32: interleave zeros below it.
#define LOADBF16 VLD1.P 32(R1), [V20.H8, V21.H8]; VZIP1 V20.H8, V31.H8, V16.H8; VZIP2 V20.H8, V31.H8, V17.H8; VZIP1 V21.H8, V31.H8, V18.H8; VZIP2 V21.H8, V31.H8, V19.H8

// func dotRowF32NEON(q []float32, x []byte, scale float32, out *[8]float32)
TEXT ·dotRowF32NEON(SB), NOSPLIT, $0-64
	MOVD  q_base+0(FP), R0
	MOVD  q_len+8(FP), R2
	MOVD  x_base+24(FP), R1
	FMOVS scale+48(FP), F28
	VDUP  V28.S[0], V28.S4
	MOVD  out+56(FP), R3
	LSR   $4, R2
#define LOAD16 LOADF32
#include "dotrow_arm64.h"
#undef LOAD16
	RET

// func dotRowF16NEON(q []float32, x []byte, scale float32, out *[8]float32)
TEXT ·dotRowF16NEON(SB), NOSPLIT, $0-64
	MOVD  q_base+0(FP), R0
	MOVD  q_len+8(FP), R2
	MOVD  x_base+24(FP), R1
	FMOVS scale+48(FP), F28
	VDUP  V28.S[0], V28.S4
	MOVD  out+56(FP), R3
	LSR   $4, R2
#define LOAD16 LOADF16
#include "dotrow_arm64.h"
#undef LOAD16
	RET

// func dotRowBF16NEON(q []float32, x []byte, scale float32, out *[8]float32)
TEXT ·dotRowBF16NEON(SB), NOSPLIT, $0-64
	MOVD  q_base+0(FP), R0
	MOVD  q_len+8(FP), R2
	MOVD  x_base+24(FP), R1
	FMOVS scale+48(FP), F28
	VDUP  V28.S[0], V28.S4
	MOVD  out+56(FP), R3
	LSR   $4, R2
#define LOAD16 LOADBF16
#include "dotrow_arm64.h"
#undef LOAD16
	RET
#define METRIC_L2

// func l2RowF32NEON(q []float32, x []byte, scale float32, out *[8]float32)
TEXT ·l2RowF32NEON(SB), NOSPLIT, $0-64
	MOVD  q_base+0(FP), R0
	MOVD  q_len+8(FP), R2
	MOVD  x_base+24(FP), R1
	FMOVS scale+48(FP), F28
	VDUP  V28.S[0], V28.S4
	MOVD  out+56(FP), R3
	LSR   $4, R2
#define LOAD16 LOADF32
#include "dotrow_arm64.h"
#undef LOAD16
	RET

// func l2RowF16NEON(q []float32, x []byte, scale float32, out *[8]float32)
TEXT ·l2RowF16NEON(SB), NOSPLIT, $0-64
	MOVD  q_base+0(FP), R0
	MOVD  q_len+8(FP), R2
	MOVD  x_base+24(FP), R1
	FMOVS scale+48(FP), F28
	VDUP  V28.S[0], V28.S4
	MOVD  out+56(FP), R3
	LSR   $4, R2
#define LOAD16 LOADF16
#include "dotrow_arm64.h"
#undef LOAD16
	RET

// func l2RowBF16NEON(q []float32, x []byte, scale float32, out *[8]float32)
TEXT ·l2RowBF16NEON(SB), NOSPLIT, $0-64
	MOVD  q_base+0(FP), R0
	MOVD  q_len+8(FP), R2
	MOVD  x_base+24(FP), R1
	FMOVS scale+48(FP), F28
	VDUP  V28.S[0], V28.S4
	MOVD  out+56(FP), R3
	LSR   $4, R2
#define LOAD16 LOADBF16
#include "dotrow_arm64.h"
#undef LOAD16
	RET
