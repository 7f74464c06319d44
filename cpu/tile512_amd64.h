// Body of the AVX-512 tile kernels (dottile512_amd64.s and
// l2tile512_amd64.s include it in their TEXT blocks, after loading R11 =
// &q[0], R12 = &x[0], R8 = d, DX = &acc[0] and R15 = &out[0]). It runs
// the two passes over 8 queries x 3 rows with the includer's STEPZ (a
// group of four chunks) and STEPY (one last chunk, into the low halves
// under opmask K1), keeps the 24 accumulators of pass 0 at DX and of
// pass 1 at DX + 1536, and reduces each pair into out as dotrow_amd64.h
// reduces its accumulators: ((acc0 + acc1) + (acc2 + acc3)), then across
// lanes. It holds no FP references, so that go vet's asmdecl check sees
// every argument access in the .s files.

// SAVE stores the 24 accumulators at AX.
#define SAVE \
	VMOVUPS Z0, (AX); \
	VMOVUPS Z1, 64(AX); \
	VMOVUPS Z2, 128(AX); \
	VMOVUPS Z3, 192(AX); \
	VMOVUPS Z4, 256(AX); \
	VMOVUPS Z5, 320(AX); \
	VMOVUPS Z6, 384(AX); \
	VMOVUPS Z7, 448(AX); \
	VMOVUPS Z8, 512(AX); \
	VMOVUPS Z9, 576(AX); \
	VMOVUPS Z10, 640(AX); \
	VMOVUPS Z11, 704(AX); \
	VMOVUPS Z12, 768(AX); \
	VMOVUPS Z13, 832(AX); \
	VMOVUPS Z14, 896(AX); \
	VMOVUPS Z15, 960(AX); \
	VMOVUPS Z16, 1024(AX); \
	VMOVUPS Z17, 1088(AX); \
	VMOVUPS Z18, 1152(AX); \
	VMOVUPS Z19, 1216(AX); \
	VMOVUPS Z20, 1280(AX); \
	VMOVUPS Z21, 1344(AX); \
	VMOVUPS Z22, 1408(AX); \
	VMOVUPS Z23, 1472(AX)

// ZERO clears the 24 accumulators.
#define ZERO \
	VPXORD Z0, Z0, Z0; \
	VPXORD Z1, Z1, Z1; \
	VPXORD Z2, Z2, Z2; \
	VPXORD Z3, Z3, Z3; \
	VPXORD Z4, Z4, Z4; \
	VPXORD Z5, Z5, Z5; \
	VPXORD Z6, Z6, Z6; \
	VPXORD Z7, Z7, Z7; \
	VPXORD Z8, Z8, Z8; \
	VPXORD Z9, Z9, Z9; \
	VPXORD Z10, Z10, Z10; \
	VPXORD Z11, Z11, Z11; \
	VPXORD Z12, Z12, Z12; \
	VPXORD Z13, Z13, Z13; \
	VPXORD Z14, Z14, Z14; \
	VPXORD Z15, Z15, Z15; \
	VPXORD Z16, Z16, Z16; \
	VPXORD Z17, Z17, Z17; \
	VPXORD Z18, Z18, Z18; \
	VPXORD Z19, Z19, Z19; \
	VPXORD Z20, Z20, Z20; \
	VPXORD Z21, Z21, Z21; \
	VPXORD Z22, Z22, Z22; \
	VPXORD Z23, Z23, Z23

	MOVQ R8, R13
	SHRQ $5, R13               // R13 = groups of four chunks
	MOVQ R8, R14
	SHRQ $3, R14
	ANDQ $3, R14               // R14 = chunks left after the groups
	SHLQ $2, R8                // R8 = row stride in bytes
	LEAQ (R8)(R8*2), R9
	MOVL $0xff, AX
	KMOVW AX, K1

	// Pass 0: accumulators 0 and 1, then the last chunks into 0.
	ZERO
	MOVQ R11, SI
	LEAQ (SI)(R8*4), R10
	MOVQ R12, DI
	MOVQ R13, CX
	TESTQ CX, CX
	JZ   rest0

groups0:
	STEPZ
	ADDQ $128, SI
	ADDQ $128, R10
	ADDQ $128, DI
	DECQ CX
	JNZ  groups0

rest0:
	MOVQ R14, CX

restloop:
	TESTQ CX, CX
	JZ    save0
	STEPY
	ADDQ  $32, SI
	ADDQ  $32, R10
	ADDQ  $32, DI
	DECQ  CX
	JMP   restloop

save0:
	MOVQ DX, AX
	SAVE

	// Pass 1: accumulators 2 and 3.
	ZERO
	LEAQ 64(R11), SI
	LEAQ (SI)(R8*4), R10
	LEAQ 64(R12), DI
	MOVQ R13, CX
	TESTQ CX, CX
	JZ   save1

groups1:
	STEPZ
	ADDQ $128, SI
	ADDQ $128, R10
	ADDQ $128, DI
	DECQ CX
	JNZ  groups1

save1:
	LEAQ 1536(DX), AX
	SAVE

	// Reduce pair p: accumulators 0, 1 at DX + 64*p, 2, 3 at DX + 1536 +
	// 64*p; ((acc0 + acc1) + (acc2 + acc3)), then across lanes as
	// dotrow_amd64.h does.
	XORQ CX, CX

reduce:
	VMOVUPS      (DX), Y0
	VADDPS       32(DX), Y0, Y0
	VMOVUPS      1536(DX), Y2
	VADDPS       1568(DX), Y2, Y2
	VADDPS       Y2, Y0, Y0
	VEXTRACTF128 $1, Y0, X1
	VADDPS       X1, X0, X0
	VPERMILPS    $0x4e, X0, X1
	VADDPS       X1, X0, X0
	VPERMILPS    $0xb1, X0, X1
	VADDSS       X1, X0, X0
	MOVSS        X0, (R15)(CX*4)
	ADDQ         $64, DX
	INCQ         CX
	CMPQ         CX, $24
	JLT          reduce
	VZEROUPPER
	RET
