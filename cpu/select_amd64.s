#include "textflag.h"

// The threshold tests of the bounded selection (select.go): the index of
// the first of len(v) &^ 7 scores that is not strictly behind a threshold
// t (NaN never is), eight scores to a compare, sixteen to a branch.

// FIRST is the body of both: VCMPPS with predicate pred of t against each
// score sets the lanes of the scores that are not behind.
#define FIRST(pred) \
	MOVQ         v_base+0(FP), SI; \
	MOVQ         v_len+8(FP), CX; \
	VBROADCASTSS t+24(FP), Y15; \
	ANDQ         $-8, CX; \
	XORQ         AX, AX; \
	MOVQ         CX, DX; \
	ANDQ         $-16, DX; \
loop16: \
	CMPQ         AX, DX; \
	JGE          tail8; \
	VCMPPS       $pred, (SI)(AX*4), Y15, Y0; \
	VCMPPS       $pred, 32(SI)(AX*4), Y15, Y1; \
	VORPS        Y1, Y0, Y2; \
	VPTEST       Y2, Y2; \
	JNZ          found16; \
	ADDQ         $16, AX; \
	JMP          loop16; \
found16: \
	VMOVMSKPS    Y0, BX; \
	TESTL        BX, BX; \
	JNZ          found; \
	VMOVMSKPS    Y1, BX; \
	ADDQ         $8, AX; \
	JMP          found; \
tail8: \
	CMPQ         AX, CX; \
	JGE          none; \
	VCMPPS       $pred, (SI)(AX*4), Y15, Y0; \
	VMOVMSKPS    Y0, BX; \
	TESTL        BX, BX; \
	JNZ          found; \
none: \
	MOVQ         CX, ret+32(FP); \
	VZEROUPPER; \
	RET; \
found: \
	BSFL         BX, BX; \
	ADDQ         BX, AX; \
	MOVQ         AX, ret+32(FP); \
	VZEROUPPER; \
	RET

// func firstNotBelowAVX2(v []float32, t float32) int
// The first i < len(v) &^ 7 with !(v[i] < t), else len(v) &^ 7.
TEXT ·firstNotBelowAVX2(SB), NOSPLIT, $0-40
	FIRST(0x0a) // NGT_US: !(t > v)

// func firstNotAboveAVX2(v []float32, t float32) int
// The first i < len(v) &^ 7 with !(v[i] > t), else len(v) &^ 7.
TEXT ·firstNotAboveAVX2(SB), NOSPLIT, $0-40
	FIRST(0x05) // NLT_US: !(t < v)
