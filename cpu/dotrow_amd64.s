#include "textflag.h"

// Direct row kernels, one per stored dtype and metric, instantiated from
// dotrow_amd64.h (see there and dotrow_amd64.go).

#define LOADF32(off, dst) VMOVUPS off(SI), dst
#define LOADF16(off, dst) VCVTPH2PS off(SI), dst
#define LOADBF16(off, dst) VPMOVZXWD off(SI), dst; VPSLLD $16, dst, dst
#define LOADI8(off, dst) VPMOVSXBD off(SI), dst; VCVTDQ2PS dst, dst

// ZERO8 clears the accumulators Y0-Y7.
#define ZERO8 VXORPS Y0, Y0, Y0; VXORPS Y1, Y1, Y1; VXORPS Y2, Y2, Y2; VXORPS Y3, Y3, Y3; VXORPS Y4, Y4, Y4; VXORPS Y5, Y5, Y5; VXORPS Y6, Y6, Y6; VXORPS Y7, Y7, Y7

// REDUCE8 sums Y0-Y3 into X0 and Y4-Y7 into X1, each in the same order:
// pairs, then the halves, then the lanes.
#define REDUCE8 VADDPS Y1, Y0, Y0; VADDPS Y3, Y2, Y2; VADDPS Y2, Y0, Y0; VADDPS Y5, Y4, Y4; VADDPS Y7, Y6, Y6; VADDPS Y6, Y4, Y4; VEXTRACTF128 $1, Y0, X1; VADDPS X1, X0, X0; VPERMILPS $0x4e, X0, X1; VADDPS X1, X0, X0; VPERMILPS $0xb1, X0, X1; VADDSS X1, X0, X0; VEXTRACTF128 $1, Y4, X5; VADDPS X5, X4, X4; VPERMILPS $0x4e, X4, X5; VADDPS X5, X4, X4; VPERMILPS $0xb1, X4, X5; VADDSS X5, X4, X1

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

// func dotOnly2F32(q []float32, x, y []byte) (r0, r1 float32)
//
// dotOnlyF32 of q against two float32 rows at once (r0 for x, r1 for y),
// each with the very operations of dotOnlyF32 (its accumulators, loops
// and reduction), so the very results; two rows' reads in flight.
TEXT ·dotOnly2F32(SB), NOSPLIT, $0-80
	MOVQ         q_base+0(FP), DI
	MOVQ         q_len+8(FP), CX
	MOVQ         x_base+24(FP), SI
	MOVQ         y_base+48(FP), DX
	SHRQ         $3, CX
	ZERO8
	CMPQ         CX, $4
	JLT          one2

four2:
	VMOVUPS      (SI), Y8
	VMOVUPS      32(SI), Y9
	VMOVUPS      64(SI), Y10
	VMOVUPS      96(SI), Y11
	VMOVUPS      (DX), Y12
	VMOVUPS      32(DX), Y13
	VMOVUPS      64(DX), Y14
	VMOVUPS      96(DX), Y15
	VFMADD231PS  (DI), Y8, Y0
	VFMADD231PS  32(DI), Y9, Y1
	VFMADD231PS  64(DI), Y10, Y2
	VFMADD231PS  96(DI), Y11, Y3
	VFMADD231PS  (DI), Y12, Y4
	VFMADD231PS  32(DI), Y13, Y5
	VFMADD231PS  64(DI), Y14, Y6
	VFMADD231PS  96(DI), Y15, Y7
	ADDQ         $128, SI
	ADDQ         $128, DX
	ADDQ         $128, DI
	SUBQ         $4, CX
	CMPQ         CX, $4
	JGE          four2

one2:
	TESTQ        CX, CX
	JZ           reduce2
	VMOVUPS      (SI), Y8
	VMOVUPS      (DX), Y12
	VFMADD231PS  (DI), Y8, Y0
	VFMADD231PS  (DI), Y12, Y4
	ADDQ         $32, SI
	ADDQ         $32, DX
	ADDQ         $32, DI
	DECQ         CX
	JMP          one2

reduce2:
	REDUCE8
	VZEROUPPER
	MOVSS        X0, r0+72(FP)
	MOVSS        X1, r1+76(FP)
	RET
