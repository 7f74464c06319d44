#include "textflag.h"

// Float64 reductions for AVX2 and FMA (see dot_amd64.go): the values are
// widened to float64 four at a time (VCVTPS2PD) and summed in four
// independent accumulators, so that the loop is not bound by the latency
// of one add chain; leftovers go 4 lanes, then 1 lane, at a time. Loads
// are unaligned: slices may start anywhere. (The float32 dot product,
// distance and sum of squares are the row kernels of dotrow_amd64.s.)

// func sumSquaresAVX2(x []float32) float64
// The squares of float32 values are exact in float64; the sum is float64.
TEXT ·sumSquaresAVX2(SB), NOSPLIT, $0-32
	MOVQ   x_base+0(FP), SI
	MOVQ   x_len+8(FP), CX
	VXORPD Y0, Y0, Y0
	VXORPD Y1, Y1, Y1
	VXORPD Y2, Y2, Y2
	VXORPD Y3, Y3, Y3
	CMPQ   CX, $16
	JLT    ss4

ss16:
	VCVTPS2PD   (SI), Y4
	VCVTPS2PD   16(SI), Y5
	VCVTPS2PD   32(SI), Y6
	VCVTPS2PD   48(SI), Y7
	VFMADD231PD Y4, Y4, Y0
	VFMADD231PD Y5, Y5, Y1
	VFMADD231PD Y6, Y6, Y2
	VFMADD231PD Y7, Y7, Y3
	ADDQ        $64, SI
	SUBQ        $16, CX
	CMPQ        CX, $16
	JGE         ss16
	VADDPD      Y1, Y0, Y0
	VADDPD      Y3, Y2, Y2
	VADDPD      Y2, Y0, Y0

ss4:
	CMPQ        CX, $4
	JLT         ssreduce
	VCVTPS2PD   (SI), Y4
	VFMADD231PD Y4, Y4, Y0
	ADDQ        $16, SI
	SUBQ        $4, CX
	JMP         ss4

ssreduce:
	VEXTRACTF128 $1, Y0, X1
	VADDPD       X1, X0, X0
	VPERMILPD    $1, X0, X1
	VADDSD       X1, X0, X0

ss1:
	TESTQ       CX, CX
	JZ          ssdone
	VCVTSS2SD   (SI), X4, X4
	VFMADD231SD X4, X4, X0
	ADDQ        $4, SI
	DECQ        CX
	JMP         ss1

ssdone:
	VZEROUPPER
	MOVSD X0, ret+24(FP)
	RET

// func sumAVX2(x []float32) float64
// The values are widened to float64 and summed there.
TEXT ·sumAVX2(SB), NOSPLIT, $0-32
	MOVQ   x_base+0(FP), SI
	MOVQ   x_len+8(FP), CX
	VXORPD Y0, Y0, Y0
	VXORPD Y1, Y1, Y1
	VXORPD Y2, Y2, Y2
	VXORPD Y3, Y3, Y3
	CMPQ   CX, $16
	JLT    sum4

sum16:
	VCVTPS2PD (SI), Y4
	VCVTPS2PD 16(SI), Y5
	VCVTPS2PD 32(SI), Y6
	VCVTPS2PD 48(SI), Y7
	VADDPD    Y4, Y0, Y0
	VADDPD    Y5, Y1, Y1
	VADDPD    Y6, Y2, Y2
	VADDPD    Y7, Y3, Y3
	ADDQ      $64, SI
	SUBQ      $16, CX
	CMPQ      CX, $16
	JGE       sum16
	VADDPD    Y1, Y0, Y0
	VADDPD    Y3, Y2, Y2
	VADDPD    Y2, Y0, Y0

sum4:
	CMPQ      CX, $4
	JLT       sumreduce
	VCVTPS2PD (SI), Y4
	VADDPD    Y4, Y0, Y0
	ADDQ      $16, SI
	SUBQ      $4, CX
	JMP       sum4

sumreduce:
	VEXTRACTF128 $1, Y0, X1
	VADDPD       X1, X0, X0
	VPERMILPD    $1, X0, X1
	VADDSD       X1, X0, X0

sum1:
	TESTQ     CX, CX
	JZ        sumdone
	VCVTSS2SD (SI), X4, X4
	VADDSD    X4, X0, X0
	ADDQ      $4, SI
	DECQ      CX
	JMP       sum1

sumdone:
	VZEROUPPER
	MOVSD X0, ret+24(FP)
	RET
