#include "textflag.h"

// Direct row kernels, one per stored dtype and metric, instantiated from
// dotrow_amd64.h (see there and dotrow_amd64.go).

#define LOADF32(off, dst) VMOVUPS off(SI), dst
#define LOADF16(off, dst) VCVTPH2PS off(SI), dst
#define LOADBF16(off, dst) VPMOVZXWD off(SI), dst; VPSLLD $16, dst, dst
#define LOADI8(off, dst) VPMOVSXBD off(SI), dst; VCVTDQ2PS dst, dst

// func dotRowF32(q []float32, x []byte, scale float32) (r0, r1 float32)
TEXT ·dotRowF32(SB), NOSPLIT, $0-64
	MOVQ         q_base+0(FP), DI
	MOVQ         q_len+8(FP), CX
	MOVQ         x_base+24(FP), SI
	VBROADCASTSS scale+48(FP), Y15
#define XSTEP 32
#define LOAD8 LOADF32
#include "dotrow_amd64.h"
#undef XSTEP
#undef LOAD8
	VZEROUPPER
	MOVSS        X0, r0+56(FP)
	MOVSS        X1, r1+60(FP)
	RET

// func dotRowF16(q []float32, x []byte, scale float32) (r0, r1 float32)
TEXT ·dotRowF16(SB), NOSPLIT, $0-64
	MOVQ         q_base+0(FP), DI
	MOVQ         q_len+8(FP), CX
	MOVQ         x_base+24(FP), SI
	VBROADCASTSS scale+48(FP), Y15
#define XSTEP 16
#define LOAD8 LOADF16
#include "dotrow_amd64.h"
#undef XSTEP
#undef LOAD8
	VZEROUPPER
	MOVSS        X0, r0+56(FP)
	MOVSS        X1, r1+60(FP)
	RET

// func dotRowBF16(q []float32, x []byte, scale float32) (r0, r1 float32)
TEXT ·dotRowBF16(SB), NOSPLIT, $0-64
	MOVQ         q_base+0(FP), DI
	MOVQ         q_len+8(FP), CX
	MOVQ         x_base+24(FP), SI
	VBROADCASTSS scale+48(FP), Y15
#define XSTEP 16
#define LOAD8 LOADBF16
#include "dotrow_amd64.h"
#undef XSTEP
#undef LOAD8
	VZEROUPPER
	MOVSS        X0, r0+56(FP)
	MOVSS        X1, r1+60(FP)
	RET

// func dotRowI8(q []float32, x []byte, scale float32) (r0, r1 float32)
TEXT ·dotRowI8(SB), NOSPLIT, $0-64
	MOVQ         q_base+0(FP), DI
	MOVQ         q_len+8(FP), CX
	MOVQ         x_base+24(FP), SI
	VBROADCASTSS scale+48(FP), Y15
#define XSTEP 8
#define LOAD8 LOADI8
#include "dotrow_amd64.h"
#undef XSTEP
#undef LOAD8
	VZEROUPPER
	MOVSS        X0, r0+56(FP)
	MOVSS        X1, r1+60(FP)
	RET

#define DOT_ONLY

// func dotOnlyF32(q []float32, x []byte, scale float32) (r0, r1 float32)
TEXT ·dotOnlyF32(SB), NOSPLIT, $0-64
	MOVQ         q_base+0(FP), DI
	MOVQ         q_len+8(FP), CX
	MOVQ         x_base+24(FP), SI
	VBROADCASTSS scale+48(FP), Y15
#define XSTEP 32
#define LOAD8 LOADF32
#include "dotrow_amd64.h"
#undef XSTEP
#undef LOAD8
	VZEROUPPER
	MOVSS        X0, r0+56(FP)
	MOVSS        X1, r1+60(FP)
	RET

#undef DOT_ONLY
#define METRIC_L2

// func l2RowF32(q []float32, x []byte, scale float32) (r0, r1 float32)
TEXT ·l2RowF32(SB), NOSPLIT, $0-64
	MOVQ         q_base+0(FP), DI
	MOVQ         q_len+8(FP), CX
	MOVQ         x_base+24(FP), SI
	VBROADCASTSS scale+48(FP), Y15
#define XSTEP 32
#define LOAD8 LOADF32
#include "dotrow_amd64.h"
#undef XSTEP
#undef LOAD8
	VZEROUPPER
	MOVSS        X0, r0+56(FP)
	MOVSS        X1, r1+60(FP)
	RET

// func l2RowF16(q []float32, x []byte, scale float32) (r0, r1 float32)
TEXT ·l2RowF16(SB), NOSPLIT, $0-64
	MOVQ         q_base+0(FP), DI
	MOVQ         q_len+8(FP), CX
	MOVQ         x_base+24(FP), SI
	VBROADCASTSS scale+48(FP), Y15
#define XSTEP 16
#define LOAD8 LOADF16
#include "dotrow_amd64.h"
#undef XSTEP
#undef LOAD8
	VZEROUPPER
	MOVSS        X0, r0+56(FP)
	MOVSS        X1, r1+60(FP)
	RET

// func l2RowBF16(q []float32, x []byte, scale float32) (r0, r1 float32)
TEXT ·l2RowBF16(SB), NOSPLIT, $0-64
	MOVQ         q_base+0(FP), DI
	MOVQ         q_len+8(FP), CX
	MOVQ         x_base+24(FP), SI
	VBROADCASTSS scale+48(FP), Y15
#define XSTEP 16
#define LOAD8 LOADBF16
#include "dotrow_amd64.h"
#undef XSTEP
#undef LOAD8
	VZEROUPPER
	MOVSS        X0, r0+56(FP)
	MOVSS        X1, r1+60(FP)
	RET

// func l2RowI8(q []float32, x []byte, scale float32) (r0, r1 float32)
TEXT ·l2RowI8(SB), NOSPLIT, $0-64
	MOVQ         q_base+0(FP), DI
	MOVQ         q_len+8(FP), CX
	MOVQ         x_base+24(FP), SI
	VBROADCASTSS scale+48(FP), Y15
#define XSTEP 8
#define LOAD8 LOADI8
#include "dotrow_amd64.h"
#undef XSTEP
#undef LOAD8
	VZEROUPPER
	MOVSS        X0, r0+56(FP)
	MOVSS        X1, r1+60(FP)
	RET
