#include "textflag.h"

// func RowStatsAVX2(v *float32, n int, sums *[8]float32) uint32
// n is a multiple of 8. It returns the largest of the values' magnitude
// bits (|x| as uint32; >= 0x7f800000 when one is not finite) and writes
// the sums of squares of lanes i, i+8, ... (float32, fused multiply-add)
// to sums.
TEXT ·RowStatsAVX2(SB), NOSPLIT, $0-28
	MOVQ v+0(FP), SI
	MOVQ n+8(FP), CX
	MOVQ sums+16(FP), DI
	VPCMPEQD Y15, Y15, Y15
	VPSRLD $1, Y15, Y15 // 0x7fffffff: the magnitude bits
	VPXOR Y0, Y0, Y0    // largest magnitude bits, two accumulators
	VPXOR Y1, Y1, Y1
	VXORPS Y2, Y2, Y2   // sums of squares, four accumulators
	VXORPS Y3, Y3, Y3
	VXORPS Y4, Y4, Y4
	VXORPS Y5, Y5, Y5
	CMPQ CX, $32
	JLT tail
loop32:
	VMOVUPS (SI), Y6
	VMOVUPS 32(SI), Y7
	VMOVUPS 64(SI), Y8
	VMOVUPS 96(SI), Y9
	VFMADD231PS Y6, Y6, Y2
	VFMADD231PS Y7, Y7, Y3
	VFMADD231PS Y8, Y8, Y4
	VFMADD231PS Y9, Y9, Y5
	VPAND Y15, Y6, Y6
	VPAND Y15, Y7, Y7
	VPAND Y15, Y8, Y8
	VPAND Y15, Y9, Y9
	VPMAXSD Y6, Y0, Y0
	VPMAXSD Y7, Y1, Y1
	VPMAXSD Y8, Y0, Y0
	VPMAXSD Y9, Y1, Y1
	ADDQ $128, SI
	SUBQ $32, CX
	CMPQ CX, $32
	JGE loop32
tail:
	CMPQ CX, $8
	JLT done
	VMOVUPS (SI), Y6
	VFMADD231PS Y6, Y6, Y2
	VPAND Y15, Y6, Y6
	VPMAXSD Y6, Y0, Y0
	ADDQ $32, SI
	SUBQ $8, CX
	JMP tail
done:
	VADDPS Y3, Y2, Y2
	VADDPS Y5, Y4, Y4
	VADDPS Y4, Y2, Y2
	VMOVUPS Y2, (DI)
	VPMAXSD Y1, Y0, Y0
	VEXTRACTI128 $1, Y0, X1
	VPMAXSD X1, X0, X0
	VPSHUFD $0x4e, X0, X1
	VPMAXSD X1, X0, X0
	VPSHUFD $0xb1, X0, X1
	VPMAXSD X1, X0, X0
	VMOVD X0, AX
	MOVL AX, ret+24(FP)
	VZEROUPPER
	RET

// func ScaleAVX2(d, a []float32, s float32)
// d[i] = a[i] * s. Requires len(a) >= len(d).
TEXT ·ScaleAVX2(SB), NOSPLIT, $0-52
	MOVQ         d_base+0(FP), DI
	MOVQ         d_len+8(FP), CX
	MOVQ         a_base+24(FP), SI
	VBROADCASTSS s+48(FP), Y15
	CMPQ         CX, $32
	JLT          sc8

sc32:
	VMULPS  (SI), Y15, Y0
	VMULPS  32(SI), Y15, Y1
	VMULPS  64(SI), Y15, Y2
	VMULPS  96(SI), Y15, Y3
	VMOVUPS Y0, (DI)
	VMOVUPS Y1, 32(DI)
	VMOVUPS Y2, 64(DI)
	VMOVUPS Y3, 96(DI)
	ADDQ    $128, SI
	ADDQ    $128, DI
	SUBQ    $32, CX
	CMPQ    CX, $32
	JGE     sc32

sc8:
	CMPQ    CX, $8
	JLT     sc1
	VMULPS  (SI), Y15, Y0
	VMOVUPS Y0, (DI)
	ADDQ    $32, SI
	ADDQ    $32, DI
	SUBQ    $8, CX
	JMP     sc8

sc1:
	TESTQ  CX, CX
	JZ     scdone
	VMULSS (SI), X15, X0
	VMOVSS X0, (DI)
	ADDQ   $4, SI
	ADDQ   $4, DI
	DECQ   CX
	JMP    sc1

scdone:
	VZEROUPPER
	RET
